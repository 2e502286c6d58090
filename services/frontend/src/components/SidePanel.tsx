import { useId, type ReactNode } from "react";

interface Props {
  title: string;
  /** The close button's accessible name, e.g. "Close members". */
  closeLabel: string;
  onClose(): void;
  children: ReactNode;
}

/** A panel beside the conversation (full screen on a phone), with a heading and a close button. */
export function SidePanel({ title, closeLabel, onClose, children }: Props) {
  const headingId = useId();
  return (
    <aside className="side-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>{title}</h2>
        <button type="button" aria-label={closeLabel} onClick={onClose}>
          Close
        </button>
      </div>
      {children}
    </aside>
  );
}

/** What a refused request says, for a panel's alert. */
export const failure = (err: unknown) => (err instanceof Error ? err.message : String(err));
