/** The emoji picker: a search field, the data's groups as tabs and a grid of emoji buttons,
 * from the same data as the `:shortcode:` completion. Plain elements styled by the app's
 * stylesheet, so the strict Content-Security-Policy (no inline styles) holds. Loaded lazily. */
import { useEffect, useId, useRef, useState } from "react";
import { EMOJI_GROUPS, emojiInGroup, searchEmoji, type EmojiMatch } from "../chat/emoji";

interface Props {
  onPick(emoji: string): void;
  onClose(): void;
}

export default function EmojiPicker({ onPick, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [group, setGroup] = useState<number>(EMOJI_GROUPS[0].id);
  const [shown, setShown] = useState<{ key: string; emoji: EmojiMatch[] } | null>(null);
  const search = useRef<HTMLInputElement>(null);
  const gridId = useId();
  const key = query.trim() ? `q:${query.trim()}` : `g:${group}`;

  const dialog = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });

  // The search field takes the focus, as in Slack; Escape anywhere in the picker closes it.
  useEffect(() => {
    search.current?.focus();
    const box = dialog.current;
    const escape = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      close.current();
    };
    box?.addEventListener("keydown", escape);
    return () => box?.removeEventListener("keydown", escape);
  }, []);

  useEffect(() => {
    let cancelled = false;
    const words = query.trim();
    (words ? searchEmoji(words) : emojiInGroup(group)).then(
      (emoji) => {
        if (!cancelled) setShown({ key, emoji });
      },
      () => {
        if (!cancelled) setShown({ key, emoji: [] });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [query, group, key]);

  const emoji = shown?.key === key ? shown.emoji : null;

  return (
    <div ref={dialog} className="emoji-picker" role="dialog" aria-label="Emoji picker">
      <input
        ref={search}
        type="search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        placeholder="Search emoji"
        aria-label="Search emoji"
        aria-controls={gridId}
      />
      {!query.trim() && (
        <div className="emoji-groups" role="group" aria-label="Emoji groups">
          {EMOJI_GROUPS.map((g) => (
            <button
              key={g.id}
              type="button"
              aria-label={g.name}
              aria-pressed={g.id === group}
              title={g.name}
              onClick={() => setGroup(g.id)}
            >
              <span aria-hidden="true">{g.icon}</span>
            </button>
          ))}
        </div>
      )}
      <div id={gridId} className="emoji-grid" role="group" aria-label="Emoji" aria-busy={emoji === null}>
        {emoji?.length === 0 && <p>No emoji found.</p>}
        {emoji?.map((e) => (
          <button key={e.unicode} type="button" aria-label={`${e.annotation} :${e.shortcode}:`} title={`:${e.shortcode}:`} onClick={() => onPick(e.unicode)}>
            {e.unicode}
          </button>
        ))}
      </div>
    </div>
  );
}
