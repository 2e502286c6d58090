/** Splits message text into plain text and http(s) links. The result is rendered as
 * React text nodes and <a> elements, so no part of a message is ever parsed as HTML. */
export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that usually ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  const pushText = (value: string) => {
    if (!value) return;
    const previous = segments[segments.length - 1];
    if (previous?.kind === "text") previous.text += value;
    else segments.push({ kind: "text", text: value });
  };
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const start = match.index;
    const raw = match[0];
    const link = raw.replace(TRAILING, "");
    const href = safeHref(link);
    pushText(text.slice(last, start));
    if (href) {
      segments.push({ kind: "link", text: link, href });
      pushText(raw.slice(link.length));
    } else {
      pushText(raw);
    }
    last = start + raw.length;
  }
  pushText(text.slice(last));
  return segments;
}
