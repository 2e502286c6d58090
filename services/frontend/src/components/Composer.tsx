import { lazy, Suspense, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { limits } from "../api/protocol";
import { complete } from "../chat/completion";
import { loadDraft, saveDraft } from "../chat/drafts";
import { hasShortcodes, replaceShortcodes } from "../chat/emoji";
import { useCompletions } from "./useCompletions";

/** The picker (and its emoji data) loads when first opened, not with the app. */
const EmojiPicker = lazy(() => import("./EmojiPicker"));

/** The server's default MAX_MESSAGE_LENGTH; a lower server limit is reported per message. */
export const MAX_MESSAGE_LENGTH = limits.max_message_length;
/** The counter appears once fewer characters than this are left. */
const COUNTER_FROM = 400;

interface Props {
  /** Whom the message goes to: "#general", or a DM's other member. */
  to: string;
  /** Where this conversation's unsent text is kept (mount one Composer per conversation). */
  draftKey: string;
  onSend(text: string): void;
  onTyping(): void;
  /** Whom `@` offers. */
  members?: string[];
}

export function Composer({ to, draftKey, onSend, onTyping, members = [] }: Props) {
  const [text, setDraft] = useState(() => loadDraft(draftKey));
  const [caret, setCaret] = useState(text.length);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [picking, setPicking] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  /** Where to put the caret after React has rendered the new text. */
  const moveCaret = useRef<number | null>(null);
  const setText = (next: string) => {
    setDraft(next);
    saveDraft(draftKey, next);
  };
  const inputId = useId();
  const counterId = useId();
  const listId = useId();
  const left = MAX_MESSAGE_LENGTH - text.length;
  const sendable = text.trim().length > 0 && left >= 0;
  const completions = useCompletions(text, caret, members);
  // Escape closes the list until the caret moves on.
  const token = dismissed === caret ? null : completions.token;
  const options = token ? completions.options : [];
  const chosen = Math.min(active, options.length - 1);

  useLayoutEffect(() => {
    const at = moveCaret.current;
    if (at === null || !box.current) return;
    moveCaret.current = null;
    box.current.setSelectionRange(at, at);
  });

  function replace(next: string, at: number) {
    setText(next);
    setCaret(at);
    setActive(0);
    moveCaret.current = at;
  }

  function choose(index: number) {
    const option = options[index];
    if (!token || !option) return;
    const done = complete(text, token, option.insert);
    replace(done.text, done.caret);
  }

  /** Puts an emoji from the picker where the caret is. */
  function insert(emoji: string) {
    const at = box.current?.selectionStart ?? text.length;
    replace(text.slice(0, at) + emoji + text.slice(at), at + emoji.length);
    setPicking(false);
    box.current?.focus();
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!sendable) return;
    setText("");
    if (!hasShortcodes(text)) return onSend(text);
    // `:tada:` goes out as 🎉; an unknown name stays as typed.
    replaceShortcodes(text).then(onSend, () => onSend(text));
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (options.length > 0) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((chosen + step + options.length) % options.length);
        return;
      }
      if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        event.preventDefault();
        choose(chosen);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setDismissed(caret);
        return;
      }
    }
    // Enter sends; Shift+Enter (and Enter while an IME is composing) inserts a newline.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message {to}
      </label>
      <textarea
        id={inputId}
        value={text}
        rows={2}
        placeholder={`Message ${to} (Enter sends, Shift+Enter new line)`}
        ref={box}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart);
          setActive(0);
          if (e.target.value) onTyping();
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        aria-autocomplete="list"
        aria-controls={options.length > 0 ? listId : undefined}
        aria-activedescendant={options.length > 0 ? `${listId}-${chosen}` : undefined}
        aria-describedby={left < COUNTER_FROM ? counterId : undefined}
        aria-invalid={left < 0 ? true : undefined}
      />
      {options.length > 0 && (
        <div id={listId} role="listbox" className="completions" aria-label={token?.kind === "emoji" ? "Emoji" : "People"}>
          {options.map((option, i) => (
            <div
              key={option.label}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === chosen}
              tabIndex={-1}
              // mousedown, not click: the textarea keeps the focus (and the caret).
              onMouseDown={(e) => {
                e.preventDefault();
                choose(i);
              }}
            >
              {option.label}
            </div>
          ))}
        </div>
      )}
      <button
        type="button"
        className="emoji-button"
        aria-label="Add emoji"
        aria-expanded={picking}
        onClick={() => setPicking((p) => !p)}
      >
        <span aria-hidden="true">☺</span>
      </button>
      {picking && (
        <Suspense fallback={<p className="emoji-loading">Loading emoji…</p>}>
          <EmojiPicker
            onPick={insert}
            onClose={() => {
              setPicking(false);
              box.current?.focus();
            }}
          />
        </Suspense>
      )}
      {left < COUNTER_FROM && (
        <span id={counterId} className={left < 0 ? "counter over" : "counter"} aria-live="polite">
          {left < 0 ? `${-left} characters too long` : `${left} characters left`}
        </span>
      )}
      <button type="submit" disabled={!sendable}>
        Send
      </button>
    </form>
  );
}
