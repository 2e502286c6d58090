import { linkify } from "../chat/linkify";

/** A message's text: React text nodes and safe http(s) links, never HTML. */
export function MessageText({ text }: { text: string }) {
  return (
    <p className="message-text">
      {linkify(text).map((segment, i) =>
        segment.kind === "link" ? (
          <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer">
            {segment.text}
          </a>
        ) : (
          segment.text
        ),
      )}
    </p>
  );
}
