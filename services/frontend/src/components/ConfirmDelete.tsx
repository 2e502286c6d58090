import { useEffect, useId, useRef } from "react";

interface Props {
  /** The message's text, quoted so it is clear which one goes. */
  text: string;
  onConfirm(): void;
  /** Closed without deleting (Cancel, Escape). */
  onClose(): void;
}

/** "Delete message?" as a modal <dialog>: the browser traps focus in it, Escape cancels and
 * focus goes back to where it was. Cancel has the focus, so Enter alone deletes nothing. */
export function ConfirmDelete({ text, onConfirm, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={titleId} aria-describedby={bodyId} onClose={onClose}>
      <h2 id={titleId}>Delete message</h2>
      <p id={bodyId}>Are you sure you want to delete this message? This cannot be undone.</p>
      {text && <blockquote className="confirm-quote">{text}</blockquote>}
      <form method="dialog" className="confirm-actions">
        {/* eslint-disable-next-line jsx-a11y/no-autofocus -- a dialog focuses its safe choice */}
        <button type="submit" autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          Delete
        </button>
      </form>
    </dialog>
  );
}
