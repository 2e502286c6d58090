import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

interface Props {
  initial: string;
  onSave(text: string): void;
  onCancel(): void;
}

/** Inline editing of one's own message: Enter saves, Shift+Enter adds a line, Escape cancels. */
export function MessageEditor({ initial, onSave, onCancel }: Props) {
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const hintId = useId();

  useEffect(() => {
    const el = box.current;
    el?.focus();
    el?.setSelectionRange(el.value.length, el.value.length);
  }, []);

  function save(event?: FormEvent) {
    event?.preventDefault();
    if (!text.trim()) return;
    if (text === initial) onCancel();
    else onSave(text);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  }

  return (
    <form className="editor" onSubmit={save}>
      <label htmlFor={inputId} className="visually-hidden">
        Edit message
      </label>
      <textarea
        id={inputId}
        ref={box}
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={hintId}
      />
      <div className="editor-actions">
        <button type="submit" disabled={!text.trim()}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <span id={hintId} className="hint">
          Enter saves, Escape cancels
        </span>
      </div>
    </form>
  );
}
