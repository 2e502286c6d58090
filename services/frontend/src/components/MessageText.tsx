import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import { remarkHtmlAsText, remarkMentions } from "../chat/markdown";

/** Opened in a new tab, telling the target nothing about the chat and lending it no rank. */
const LINK = { target: "_blank", rel: "noopener noreferrer nofollow" } as const;

const heading: Components["h1"] = ({ children }) => (
  <p>
    <strong>{children}</strong>
  </p>
);

/** Chat-style: headings are bold text, and an image is a link to it, never loaded (no
 * tracking pixels). Links' addresses pass react-markdown's URL filter (no javascript:). */
const components: Components = {
  a: ({ href, children }) => (
    <a href={href} {...LINK}>
      {children}
    </a>
  ),
  img: ({ src, alt }) =>
    typeof src === "string" && src ? (
      <a href={src} {...LINK}>
        {alt || src}
      </a>
    ) : (
      <>{alt}</>
    ),
  h1: heading,
  h2: heading,
  h3: heading,
  h4: heading,
  h5: heading,
  h6: heading,
};

/** A message's text as Markdown (GFM: bold, italic, strike, code, quotes, lists, links and
 * bare links), with @mentions emphasised. No raw HTML: typed markup shows as text. */
export function MessageText({ text, me }: { text: string; me: string }) {
  return (
    <div className="message-text">
      <Markdown remarkPlugins={[remarkGfm, remarkHtmlAsText, [remarkMentions, { me }]]} components={components}>
        {text}
      </Markdown>
    </div>
  );
}
