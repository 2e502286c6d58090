/** Splits message text into plain text, http(s) links and @mentions. The result is rendered
 * as React text nodes and elements, so no part of a message is ever parsed as HTML. */
import { NAME_CHAR, NAME_PATTERN } from "../auth/validation";

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "link"; text: string; href: string }
  | { kind: "mention"; text: string; name: string };

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that usually ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]}]+$/;
/** `@name` not glued to a name before or after it (so "ann@example.com" is no mention), as the
 * server finds them; a `.` ending the run usually ends the sentence, so it is left out. */
const MENTION = new RegExp(`(?<!${NAME_CHAR})@(${NAME_PATTERN})(?!${NAME_CHAR})`, "g");
const SENTENCE_END = /\.+$/;

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function splitMentions(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const run = match[1] ?? "";
    const stripped = run.replace(SENTENCE_END, "");
    const name = stripped.length >= 3 ? stripped : run;
    if (match.index > last) segments.push({ kind: "text", text: text.slice(last, match.index) });
    segments.push({ kind: "mention", text: `@${name}`, name });
    last = match.index + 1 + name.length;
  }
  if (last < text.length) segments.push({ kind: "text", text: text.slice(last) });
  return segments;
}

export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  let plain = "";
  const flush = () => {
    segments.push(...splitMentions(plain));
    plain = "";
  };
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const start = match.index;
    const raw = match[0];
    const link = raw.replace(TRAILING, "");
    const href = safeHref(link);
    plain += text.slice(last, start);
    if (href) {
      flush();
      segments.push({ kind: "link", text: link, href });
      plain += raw.slice(link.length);
    } else {
      plain += raw;
    }
    last = start + raw.length;
  }
  plain += text.slice(last);
  flush();
  return segments;
}
