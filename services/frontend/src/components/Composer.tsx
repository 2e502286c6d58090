import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { limits } from "../api/protocol";
import { loadDraft, saveDraft } from "../chat/drafts";

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
}

export function Composer({ to, draftKey, onSend, onTyping }: Props) {
  const [text, setDraft] = useState(() => loadDraft(draftKey));
  const setText = (next: string) => {
    setDraft(next);
    saveDraft(draftKey, next);
  };
  const inputId = useId();
  const counterId = useId();
  const left = MAX_MESSAGE_LENGTH - text.length;
  const sendable = text.trim().length > 0 && left >= 0;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!sendable) return;
    onSend(text);
    setText("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
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
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value) onTyping();
        }}
        onKeyDown={onKeyDown}
        aria-describedby={left < COUNTER_FROM ? counterId : undefined}
        aria-invalid={left < 0 ? true : undefined}
      />
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
