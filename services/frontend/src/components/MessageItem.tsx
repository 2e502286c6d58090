import { useEffect, useId, useRef, useState } from "react";
import type { Reaction } from "../api/protocol";
import type { ChatMessage } from "../api/types";
import type { Delay, PendingChange, PendingMessage, ThreadSummary } from "../chat/state";
import { AuthorName } from "./AuthorName";
import { ConfirmDelete } from "./ConfirmDelete";
import { MessageEditor } from "./MessageEditor";
import { MessageReactions, ReactButton } from "./MessageReactions";
import { MessageText } from "./MessageText";

export interface MessageActions {
  edit(message: ChatMessage, text: string): void;
  remove(message: ChatMessage): void;
  /** My `emoji` on the message, or off it. */
  react(message: ChatMessage, emoji: string, add: boolean): void;
  /** Shows the message's thread (to read it, or to start one). */
  openThread(message: ChatMessage): void;
  /** Drops a refused send or change. */
  discard(clientId: string): void;
}

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

interface Props {
  message: ChatMessage;
  /** Follows a message of the same person: the name is shown once for the group. */
  continued: boolean;
  me: string;
  /** My newest unacked edit or deletion of this message. */
  change: PendingChange | undefined;
  reactions: Reaction[];
  /** Its thread's reply count and last repliers, when it has replies. */
  thread: ThreadSummary | undefined;
  actions: MessageActions;
}

export function MessageItem({ message, continued, me, change, reactions, thread, actions }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const textId = useId();
  const sending = change?.state === "sending" ? change : undefined;
  const deleted = message.deleted === true || sending?.kind === "delete";
  const text = sending?.kind === "edit" ? sending.text : message.text;
  const mine = message.user === me && !deleted;

  // Closing the editor puts focus back on the button that opened it.
  useEffect(() => {
    if (editing || !refocus.current) return;
    refocus.current = false;
    editButton.current?.focus();
  }, [editing]);

  function close() {
    refocus.current = true;
    setEditing(false);
  }

  return (
    <li className={`message${continued ? " continued" : ""}${deleted ? " deleted" : ""}`} data-id={message.id}>
      <div className="meta">
        <AuthorName user={message.user} hidden={continued} />
        {/* A follow-up's time shows on hover or focus; it can take focus for keyboard users,
            and it stays in the accessibility tree either way. */}
        <time
          dateTime={new Date(message.ts).toISOString()}
          // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- reveals the hidden time
          tabIndex={continued ? 0 : undefined}
        >
          {time(message.ts)}
        </time>
        {message.edited_ts !== undefined && !deleted && (
          <span className="edited" title={`edited at ${time(message.edited_ts)}`}>
            (edited)
          </span>
        )}
        {sending && <span className="delivery">{sending.kind === "edit" ? "saving…" : "deleting…"}</span>}
        {!deleted && !editing && (
          <span className="actions">
            {!message.thread && (
              <button
                type="button"
                aria-label={`Reply to ${message.user}'s message in a thread`}
                onClick={() => actions.openThread(message)}
              >
                Reply
              </button>
            )}
            <ReactButton author={message.user} onPick={(emoji) => actions.react(message, emoji, true)} />
            {mine && (
              <>
                <button
                  type="button"
                  ref={editButton}
                  aria-label="Edit message"
                  aria-describedby={textId}
                  onClick={() => setEditing(true)}
                >
                  Edit
                </button>
                <button
                  type="button"
                  aria-label="Delete message"
                  aria-describedby={textId}
                  title="Shift+click deletes without asking"
                  // Shift+click skips the question, as in Slack.
                  onClick={(e) => (e.shiftKey ? actions.remove(message) : setConfirming(true))}
                >
                  Delete
                </button>
              </>
            )}
          </span>
        )}
      </div>
      {deleted ? (
        <p className="message-text deleted-text">This message was deleted</p>
      ) : editing ? (
        <MessageEditor
          initial={text}
          onCancel={close}
          onSave={(next) => {
            actions.edit(message, next);
            close();
          }}
        />
      ) : (
        <div id={textId}>
          <MessageText text={text} me={me} />
        </div>
      )}
      {thread && thread.replies > 0 && (
        <button type="button" className="link thread-link" onClick={() => actions.openThread(message)}>
          {thread.replies === 1 ? "1 reply" : `${thread.replies} replies`}
          {" · "}
          <span className="repliers">{thread.lastRepliers.join(", ")}</span>
        </button>
      )}
      {!deleted && (
        <MessageReactions reactions={reactions} me={me} onReact={(emoji, add) => actions.react(message, emoji, add)} />
      )}
      {confirming && (
        <ConfirmDelete
          text={text}
          onClose={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            actions.remove(message);
          }}
        />
      )}
      {change?.state === "failed" && (
        <Failure error={change.error} label="Dismiss" onDismiss={() => actions.discard(change.clientId)} />
      )}
    </li>
  );
}

export function PendingItem({ pending, me, onDiscard }: { pending: PendingMessage; me: string; onDiscard(clientId: string): void }) {
  return (
    <li className={`message pending ${pending.state}`} data-client-id={pending.clientId}>
      <div className="meta">
        <span className="author">you</span>
        <span className="delivery">{pending.state === "sending" ? "sending…" : "not sent"}</span>
      </div>
      <MessageText text={pending.text} me={me} />
      {pending.state === "sending" && pending.delayed && (
        <Delayed delay={pending.delayed} onDiscard={() => onDiscard(pending.clientId)} />
      )}
      {pending.state === "failed" && (
        <Failure error={pending.error} label="Discard" onDismiss={() => onDiscard(pending.clientId)} />
      )}
    </li>
  );
}

function Failure({ error, label, onDismiss }: { error: string | undefined; label: string; onDismiss(): void }) {
  return (
    <div className="failure" role="alert">
      {error}{" "}
      <button type="button" onClick={onDismiss}>
        {label}
      </button>
    </div>
  );
}

const REASONS: Partial<Record<string, string>> = {
  rate_limited: "Too many messages at once.",
  unavailable: "The server could not store it.",
};

/** Why a send waits and when it goes out again by itself (counting down each second). */
function Delayed({ delay, onDiscard }: { delay: Delay; onDiscard(): void }) {
  const [now, setNow] = useState(Date.now);
  const left = Math.ceil((delay.retryAt - now) / 1000);
  useEffect(() => {
    if (left <= 0) return;
    // Wake when the whole seconds left drop by one.
    const timer = setTimeout(() => setNow(Date.now()), (delay.retryAt - Date.now()) % 1000 || 1000);
    return () => clearTimeout(timer);
  }, [left, delay.retryAt]);
  return (
    <div className="delayed" role="status">
      {REASONS[delay.reason] ?? "Not stored yet."} {left > 0 ? `Sending again in ${left} s.` : "Sending again…"}{" "}
      <button type="button" onClick={onDiscard}>
        Discard
      </button>
    </div>
  );
}
