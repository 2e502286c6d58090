import { lazy, Suspense, useState } from "react";
import type { Reaction } from "../api/protocol";

const EmojiPicker = lazy(() => import("./EmojiPicker"));

interface Props {
  reactions: Reaction[];
  me: string;
  onReact(emoji: string, add: boolean): void;
}

/** A message's reactions: each emoji with its count (pressed when mine; who reacted on hover),
 * toggled by a click. Nothing at all for a message without any. */
export function MessageReactions({ reactions, me, onReact }: Props) {
  if (!reactions.length) return null;
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
    </div>
  );
}

/** The message's "add a reaction" control: the emoji picker, and the emoji picked. */
export function ReactButton({ author, onPick }: { author: string; onPick(emoji: string): void }) {
  const [picking, setPicking] = useState(false);
  return (
    <span className="react-button">
      <button
        type="button"
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
              onPick(emoji);
            }}
            onClose={() => setPicking(false)}
          />
        </Suspense>
      )}
    </span>
  );
}
