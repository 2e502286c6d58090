import { lazy, Suspense, useState } from "react";
import type { Reaction } from "../api/protocol";

const EmojiPicker = lazy(() => import("./EmojiPicker"));

interface Props {
  reactions: Reaction[];
  me: string;
  /** Whose message, for the buttons' names. */
  author: string;
  onReact(emoji: string, add: boolean): void;
}

/** A message's reactions: each emoji with its count (pressed when mine; who reacted on hover),
 * toggled by a click, and a button to add another from the picker. */
export function MessageReactions({ reactions, me, author, onReact }: Props) {
  const [picking, setPicking] = useState(false);
  return (
    <div className="reactions">
      {reactions.map((r) => {
        const mine = r.users.includes(me);
        return (
          <button
            key={r.emoji}
            type="button"
            className="reaction"
            aria-pressed={mine}
            aria-label={`${r.emoji} ${r.count}: ${r.users.join(", ")}`}
            title={r.users.join(", ")}
            onClick={() => onReact(r.emoji, !mine)}
          >
            <span aria-hidden="true">
              {r.emoji} {r.count}
            </span>
          </button>
        );
      })}
      <button
        type="button"
        className="reaction add-reaction"
        aria-label={`React to ${author}'s message`}
        aria-expanded={picking}
        onClick={() => setPicking((p) => !p)}
      >
        <span aria-hidden="true">☺+</span>
      </button>
      {picking && (
        <Suspense fallback={<p className="emoji-loading">Loading emoji…</p>}>
          <EmojiPicker
            onPick={(emoji) => {
              setPicking(false);
              onReact(emoji, true);
            }}
            onClose={() => setPicking(false)}
          />
        </Suspense>
      )}
    </div>
  );
}
