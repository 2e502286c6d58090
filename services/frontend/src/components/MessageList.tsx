import { useLayoutEffect, useRef } from "react";
import type { ChatMessage } from "../api/types";
import type { PendingMessage } from "../chat/state";
import { MessageText } from "./MessageText";

interface Props {
  room: string;
  messages: ChatMessage[];
  pending: PendingMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder(): void;
  onDiscard(clientId: string): void;
}

/** Closer than this to the bottom counts as "reading the newest": new messages scroll into view. */
const STICK_PX = 80;
const LOAD_OLDER_PX = 40;

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function MessageList({ room, messages, pending, hasOlder, loadingOlder, onLoadOlder, onDiscard }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const previous = useRef({ room: "", first: "", height: 0, stuck: true });

  // Keep the view steady: older pages prepend without jumping, new messages follow the
  // bottom when the reader is there, and a newly opened room starts at its newest message.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id ?? "";
    const last = previous.current;
    if (last.room !== room) {
      el.scrollTop = el.scrollHeight;
    } else if (last.first && first !== last.first) {
      el.scrollTop += el.scrollHeight - last.height;
    } else if (last.stuck) {
      el.scrollTop = el.scrollHeight;
    }
    const stuck = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    previous.current = { room, first, height: el.scrollHeight, stuck };
  }, [room, messages, pending]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    previous.current.stuck = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    previous.current.height = el.scrollHeight;
    if (el.scrollTop < LOAD_OLDER_PX && hasOlder && !loadingOlder) onLoadOlder();
  }

  return (
    <div className="messages" ref={scroller} onScroll={onScroll}>
      {hasOlder && (
        <button type="button" className="load-older" onClick={onLoadOlder} disabled={loadingOlder}>
          {loadingOlder ? "Loading…" : "Load older messages"}
        </button>
      )}
      <ol role="log" aria-label={`Messages in ${room}`} aria-live="polite">
        {messages.map((m) => (
          <li key={m.id} className="message" data-id={m.id}>
            <div className="meta">
              <span className="author">{m.user}</span>
              <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
            </div>
            <MessageText text={m.text} />
          </li>
        ))}
        {pending.map((p) => (
          <li key={p.clientId} className={`message pending ${p.state}`} data-client-id={p.clientId}>
            <div className="meta">
              <span className="author">you</span>
              <span className="delivery">{p.state === "sending" ? "sending…" : "not sent"}</span>
            </div>
            <MessageText text={p.text} />
            {p.state === "failed" && (
              <div className="failure" role="alert">
                {p.error}{" "}
                <button type="button" onClick={() => onDiscard(p.clientId)}>
                  Discard
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
