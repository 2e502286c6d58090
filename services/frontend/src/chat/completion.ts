/** What the composer can complete at the caret: `@na` (a member's name) or `:ta` (an emoji
 * shortcode, from 2 letters on), and the text once a choice is made. */
import { NAME_CHAR } from "../auth/validation";

export type Token = { kind: "mention" | "emoji"; query: string; start: number; end: number };

const MENTION_AT = new RegExp(`(?:^|\\s)@(${NAME_CHAR}*)$`);
const EMOJI_AT = /(?:^|\s):([a-z0-9_+-]{2,})$/i;

/** The token ending at the caret, if it is one to complete. */
export function tokenAt(text: string, caret: number): Token | null {
  const before = text.slice(0, caret);
  const mention = MENTION_AT.exec(before);
  if (mention) {
    const query = mention[1] ?? "";
    return { kind: "mention", query, start: caret - query.length - 1, end: caret };
  }
  const emoji = EMOJI_AT.exec(before);
  if (emoji) {
    const query = emoji[1] ?? "";
    return { kind: "emoji", query, start: caret - query.length - 1, end: caret };
  }
  return null;
}

/** The text with the token replaced by `insert` and a space, and where the caret goes. */
export function complete(text: string, token: Token, insert: string): { text: string; caret: number } {
  const after = text.slice(token.end);
  const spaced = after.startsWith(" ") ? insert : `${insert} `;
  return { text: text.slice(0, token.start) + spaced + after, caret: token.start + insert.length + 1 };
}

/** Names starting with the query (case-insensitive), then ones containing it. */
export function matchNames(names: string[], query: string, limit = 8): string[] {
  const q = query.toLowerCase();
  const starts = names.filter((n) => n.toLowerCase().startsWith(q));
  const contains = names.filter((n) => !n.toLowerCase().startsWith(q) && n.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, limit);
}
