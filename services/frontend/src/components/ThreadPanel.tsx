import { useId, useState, type FormEvent } from "react";
import type { ChatMessage } from "../api/types";
import { AuthorName } from "./AuthorName";
import { MessageText } from "./MessageText";

interface Props {
  parent: ChatMessage;
  /** Its replies so far, oldest first. */
  replies: ChatMessage[];
  me: string;
  /** Where "also send to" sends: the room's name as the header shows it. */
  roomLabel: string;
  onReply(text: string, inRoom: boolean): void;
  onClose(): void;
}

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function Entry({ message, me }: { message: ChatMessage; me: string }) {
  return (
    <>
      <div className="meta">
        <AuthorName user={message.user} /> <time>{time(message.ts)}</time>
      </div>
      {message.deleted ? (
        <p className="message-text deleted-text">This message was deleted</p>
      ) : (
        <MessageText text={message.text} me={me} />
      )}
    </>
  );
}

/** A thread beside the room: its first message, the replies as they come, and a reply box. */
export function ThreadPanel({ parent, replies, me, roomLabel, onReply, onClose }: Props) {
  const [text, setText] = useState("");
  const [inRoom, setInRoom] = useState(false);
  const headingId = useId();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    onReply(text.trim(), inRoom);
    setText("");
  }

  return (
    <aside className="thread" aria-labelledby={headingId}>
      <div className="thread-header">
        <h3 id={headingId}>Thread</h3>
        <button type="button" onClick={onClose}>
          Close thread
        </button>
      </div>
      <div className="message thread-parent">
        <Entry message={parent} me={me} />
      </div>
      <ol className="thread-replies" aria-label={`Replies to ${parent.user}`}>
        {replies.map((reply) => (
          <li key={reply.id} className="message">
            <Entry message={reply} me={me} />
          </li>
        ))}
      </ol>
      <form className="thread-reply" onSubmit={submit}>
        <textarea
          aria-label="Reply"
          placeholder="Reply…"
          rows={2}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey) submit(event);
          }}
        />
        <label>
          <input type="checkbox" checked={inRoom} onChange={(event) => setInRoom(event.target.checked)} /> Also send to{" "}
          {roomLabel}
        </label>
        <button type="submit" disabled={!text.trim()}>
          Reply
        </button>
      </form>
    </aside>
  );
}
