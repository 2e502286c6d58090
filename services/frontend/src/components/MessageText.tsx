import { linkify } from "../chat/linkify";

/** A message's text: React text nodes, safe http(s) links and emphasised @mentions (a mention
 * of `me` stands out more), never HTML. */
export function MessageText({ text, me }: { text: string; me: string }) {
  return (
    <p className="message-text">
      {linkify(text).map((segment, i) => {
        switch (segment.kind) {
          case "link":
            return (
              <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer">
                {segment.text}
              </a>
            );
          case "mention":
            return segment.name === me ? (
              <mark key={i} className="mention mention-me">
                {segment.text}
              </mark>
            ) : (
              <strong key={i} className="mention">
                {segment.text}
              </strong>
            );
          case "text":
            return segment.text;
        }
      })}
    </p>
  );
}
