import { useLayoutEffect, useRef, useState } from "react";
import { compareIds, type ChatMessage } from "../api/types";
import type { PendingChange, PendingMessage, ThreadSummary } from "../chat/state";
import { timeline } from "../chat/timeline";
import type { Reactions } from "../chat/reactions";
import { MessageItem, PendingItem, type MessageActions } from "./MessageItem";

const NO_REACTIONS: never[] = [];

/** The reply count and last repliers history gave on the message, when it has replies. */
function summaryOf(message: ChatMessage): ThreadSummary | undefined {
  return message.replies ? { replies: message.replies, lastRepliers: message.last_repliers ?? [] } : undefined;
}
import { useToday } from "./useToday";

interface Props {
  /** The log's accessible name, e.g. "Messages in general". */
  label: string;
  me: string;
  messages: ChatMessage[];
  pending: PendingMessage[];
  changes: PendingChange[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder(): void;
  actions: MessageActions;
  /** Message id → its reactions. */
  reactions: Reactions;
  /** Thread id → its reply count and last repliers, as the newest `thread` frame said. */
  threads: Record<string, ThreadSummary>;
  /** The newest seq on screen while the reader is at the bottom; null once they scroll up. */
  onReadUpTo(seq: number | null): void;
}

/** Closer than this to the bottom counts as "reading the newest": new messages scroll into view. */
const STICK_PX = 80;
const LOAD_OLDER_PX = 40;

const atBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
const newestSeq = (messages: ChatMessage[]) => messages.at(-1)?.seq ?? 0;

/** One room's messages (mount it per room: a room opens at its newest message). */
export function MessageList(props: Props) {
  const { label, me, messages, pending, changes, hasOlder, loadingOlder, onLoadOlder, actions, onReadUpTo } = props;
  const { reactions, threads } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const previous = useRef({ first: "", height: 0, sending: 0 });
  // Where the reader is, and the newest message they saw at the bottom: anything newer
  // while they read further up is announced by the "New messages" button instead of a jump.
  const [view, setView] = useState({ atBottom: true, seen: "" });
  const today = useToday();
  const newest = messages.at(-1)?.id ?? "";

  // Keep the view steady: older pages prepend without jumping, new messages follow the
  // bottom when the reader is there, and my own send scrolls to it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id ?? "";
    const last = previous.current;
    // Where the reader was is read from the scroll position against the height before this
    // render, not from the last scroll event, which may not have been delivered yet.
    const wasAtBottom = last.height - el.scrollTop - el.clientHeight < STICK_PX;
    if (last.first && first !== last.first) {
      el.scrollTop += el.scrollHeight - last.height;
    } else if (wasAtBottom || pending.length > last.sending) {
      el.scrollTop = el.scrollHeight;
    }
    const stuck = atBottom(el);
    previous.current = { first, height: el.scrollHeight, sending: pending.length };
    if (stuck) onReadUpTo(newestSeq(messages));
  }, [messages, pending, onReadUpTo]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const bottom = atBottom(el);
    previous.current.height = el.scrollHeight;
    setView((v) => {
      if (bottom) return v.atBottom && v.seen === newest ? v : { atBottom: true, seen: newest };
      return v.atBottom ? { ...v, atBottom: false } : v;
    });
    onReadUpTo(bottom ? newestSeq(messages) : null);
    if (el.scrollTop < LOAD_OLDER_PX && hasOlder && !loadingOlder) onLoadOlder();
  }

  function toNewest() {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }

  const unseen = !view.atBottom && newest !== "" && compareIds(newest, view.seen) > 0;

  return (
    <div className="timeline">
      <div className="messages" ref={scroller} onScroll={onScroll}>
        {hasOlder && (
          <button type="button" className="load-older" onClick={onLoadOlder} disabled={loadingOlder}>
            {loadingOlder ? "Loading…" : "Load older messages"}
          </button>
        )}
        <ol role="log" aria-label={label} aria-live="polite">
          {timeline(messages, today).map((item) =>
            item.kind === "day" ? (
              <li key={item.key} role="separator" aria-label={item.label} className="day">
                {item.label}
              </li>
            ) : (
              <MessageItem
                key={item.message.id}
                message={item.message}
                continued={item.continued}
                me={me}
                change={changes.filter((c) => c.target === item.message.id).at(-1)}
                reactions={reactions[item.message.id] ?? NO_REACTIONS}
                thread={threads[item.message.id] ?? summaryOf(item.message)}
                actions={actions}
              />
            ),
          )}
          {pending.map((p) => (
            <PendingItem key={p.clientId} pending={p} me={me} onDiscard={actions.discard} />
          ))}
        </ol>
      </div>
      {unseen && (
        <button type="button" className="new-messages" onClick={toNewest}>
          New messages
        </button>
      )}
    </div>
  );
}
