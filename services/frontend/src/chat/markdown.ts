/** Remark plugins for chat-style Markdown: raw HTML shown as the text it is, and @mentions
 * marked (a mention of me stands out more). */
import type { PhrasingContent, Root } from "mdast";
import { findAndReplace } from "mdast-util-find-and-replace";
import { visit } from "unist-util-visit";
import { MENTION, mentionedName } from "./mentions";

/** Markup typed into a message is text: `<b>` reads as "<b>", never as an element. */
export function remarkHtmlAsText() {
  return (tree: Root) => {
    visit(tree, "html", (node, index, parent) => {
      if (parent && index !== undefined) parent.children[index] = { type: "text", value: node.value };
    });
  };
}

export function remarkMentions({ me }: { me: string }) {
  return (tree: Root) => {
    findAndReplace(
      tree,
      [
        MENTION,
        (match: string, run: string) => {
          const name = mentionedName(run);
          const own = name === me;
          const mention: PhrasingContent = {
            type: "emphasis",
            children: [{ type: "text", value: `@${name}` }],
            data: { hName: own ? "mark" : "strong", hProperties: { className: own ? ["mention", "mention-me"] : ["mention"] } },
          };
          const rest = match.slice(1 + name.length);
          return rest ? [mention, { type: "text", value: rest }] : mention;
        },
      ],
      { ignore: ["link", "linkReference", "inlineCode", "code"] },
    );
  };
}
