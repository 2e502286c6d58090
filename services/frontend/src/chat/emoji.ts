/** Emoji and their shortcodes (GitHub/Slack style, `:tada:`) for the picker, the completion
 * and the conversion on send: one data set, read through emoji-picker-element's database,
 * loaded on first use (it keeps it in IndexedDB). */
import type EmojiDatabase from "emoji-picker-element/database";
import type { NativeEmoji } from "emoji-picker-element/shared";
import dataSource from "emoji-picker-element-data/en/github/data.json?url";

let database: Promise<EmojiDatabase> | null = null;

function open(): Promise<EmojiDatabase> {
  database ??= import("emoji-picker-element/database").then(({ default: Database }) => new Database({ dataSource }));
  return database;
}

export interface EmojiMatch {
  shortcode: string;
  unicode: string;
  /** e.g. "party popper": the picker's accessible name for it. */
  annotation: string;
}

/** The picker's tabs: the data's groups (2, skin-tone components, is no tab). */
export const EMOJI_GROUPS = [
  { id: 0, name: "Smileys & emotion", icon: "😀" },
  { id: 1, name: "People & body", icon: "👋" },
  { id: 3, name: "Animals & nature", icon: "🐱" },
  { id: 4, name: "Food & drink", icon: "🍎" },
  { id: 5, name: "Travel & places", icon: "🏠" },
  { id: 6, name: "Activities", icon: "⚽" },
  { id: 7, name: "Objects", icon: "💡" },
  { id: 8, name: "Symbols", icon: "❤️" },
  { id: 9, name: "Flags", icon: "🏁" },
] as const;

function toMatch(e: NativeEmoji, prefix = ""): EmojiMatch | null {
  const codes = e.shortcodes ?? [];
  const shortcode = codes.find((c) => c.startsWith(prefix)) ?? codes[0];
  return shortcode ? { shortcode, unicode: e.unicode, annotation: e.annotation } : null;
}

const natives = (found: unknown[]) => found.filter((e): e is NativeEmoji => typeof e === "object" && e !== null && "unicode" in e);

/** Every emoji of a group, in the data's order. */
export async function emojiInGroup(group: number): Promise<EmojiMatch[]> {
  const found = natives(await (await open()).getEmojiByGroup(group));
  return found.flatMap((e) => toMatch(e) ?? []);
}

/** Emoji whose name, shortcode or tags match the words typed. */
export async function searchEmoji(query: string): Promise<EmojiMatch[]> {
  const found = natives(await (await open()).getEmojiBySearchQuery(query));
  return found.flatMap((e) => toMatch(e) ?? []);
}

/** Up to `limit` emoji whose shortcode starts with `prefix` (then ones that merely match it). */
export async function emojiStartingWith(prefix: string, limit = 8): Promise<EmojiMatch[]> {
  const lower = prefix.toLowerCase();
  const found = natives(await (await open()).getEmojiBySearchQuery(lower));
  const matches = found.flatMap((e) => toMatch(e, lower) ?? []);
  // Stable sort: shortcodes that start with what was typed first.
  matches.sort((a, b) => Number(b.shortcode.startsWith(lower)) - Number(a.shortcode.startsWith(lower)));
  return matches.slice(0, limit);
}

const SHORTCODE = /:([a-z0-9_+-]+):/g;

/** Whether the text has anything that may be a `:shortcode:` (no need to load the data). */
export function hasShortcodes(text: string): boolean {
  return new RegExp(SHORTCODE.source).test(text);
}

/** `:name:` turned into its emoji where the name is a known shortcode (others stay as typed). */
export async function replaceShortcodes(text: string): Promise<string> {
  const names = [...new Set([...text.matchAll(SHORTCODE)].map((m) => m[1] ?? ""))];
  if (names.length === 0) return text;
  const db = await open();
  const found = new Map<string, string>();
  for (const name of names) {
    const emoji = await db.getEmojiByShortcode(name);
    if (emoji && "unicode" in emoji) found.set(name, emoji.unicode);
  }
  return text.replace(SHORTCODE, (whole, name: string) => found.get(name) ?? whole);
}
