import { useEffect, useState } from "react";
import { matchNames, tokenAt, type Token } from "../chat/completion";
import { emojiStartingWith } from "../chat/emoji";

export interface Option {
  /** What the list shows, e.g. "🎉 :tada:" or "bob". */
  label: string;
  /** What replaces the token. */
  insert: string;
}

/** The completions for the token at the caret: members' names after `@`, emoji after `:`+2. */
export function useCompletions(text: string, caret: number, members: string[]) {
  const token = tokenAt(text, caret);
  const [emoji, setEmoji] = useState<{ query: string; options: Option[] }>({ query: "", options: [] });
  const emojiQuery = token?.kind === "emoji" ? token.query : null;

  useEffect(() => {
    if (emojiQuery === null) return;
    let cancelled = false;
    emojiStartingWith(emojiQuery).then(
      (found) => {
        if (cancelled) return;
        const options = found.map((e) => ({ label: `${e.unicode} :${e.shortcode}:`, insert: e.unicode }));
        setEmoji({ query: emojiQuery, options });
      },
      () => {}, // no emoji data (offline before it was ever loaded): nothing to offer
    );
    return () => {
      cancelled = true;
    };
  }, [emojiQuery]);

  let options: Option[] = [];
  if (token?.kind === "mention") {
    options = matchNames(members, token.query).map((name) => ({ label: name, insert: `@${name}` }));
  } else if (token?.kind === "emoji" && emoji.query === token.query) {
    options = emoji.options;
  }
  const shown: Token | null = options.length > 0 ? token : null;
  return { token: shown, options };
}
