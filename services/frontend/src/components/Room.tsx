import { useEffect, useState } from "react";
import type { ChatMessage } from "../api/types";
import { useDisplayNames } from "../chat/displayNames";
import { draftKey } from "../chat/drafts";
import { knownMembers } from "../chat/members";
import { roomLabel } from "../chat/rooms";
import { typingUsers } from "../chat/state";
import type { Chat } from "../chat/useChat";
import { DisplayNamesContext } from "./AuthorName";
import { Composer } from "./Composer";
import { MembersPanel } from "./MembersPanel";
import { MessageList } from "./MessageList";
import { Presence, TypingIndicator } from "./Presence";
import { ThreadPanel } from "./ThreadPanel";
import { Topic } from "./Topic";

interface Props {
  chat: Chat;
  room: string;
  me: string;
  /** Mine, as I last set it ("" for none): shown at once, before any lookup. */
  displayName: string;
}

/** One open conversation (mounted per room: it opens at its newest message, with its draft). */
export function Room({ chat, room, me, displayName }: Props) {
  const current = chat.state.rooms[room];
  const dm = current?.kind === "dm";
  const title = roomLabel(room, current, me);
  const pending = chat.state.pending.filter((p) => p.room === room);
  const changes = chat.state.changes.filter((c) => c.room === room);
  const [showMembers, setShowMembers] = useState(false);
  const { loadThread, openThread, closeThread, thread } = chat;
  // The thread the address names: its first message as the room has it, else as loaded.
  const [loaded, setLoaded] = useState<ChatMessage | null>(null);
  useEffect(() => {
    if (thread === null) return;
    let cancelled = false;
    void loadThread(room, thread).then((parent) => !cancelled && setLoaded(parent));
    return () => {
      cancelled = true;
    };
  }, [room, thread, loadThread]);
  const membersOpen = showMembers && thread === null;
  const actions = {
    ...chat,
    openThread: (message: ChatMessage) => {
      setShowMembers(false);
      openThread(message);
    },
  };
  const threadOf =
    thread === null ? null : (current?.messages.find((m) => m.id === thread) ?? (loaded?.id === thread ? loaded : null));
  const joined = current?.joined ?? false;
  const replies = threadOf ? (current?.replies[threadOf.id] ?? []) : [];
  const fetched = useDisplayNames([...(current?.messages ?? []), ...replies].map((m) => m.user));
  const names = { ...fetched, [me]: displayName };
  return (
    <DisplayNamesContext.Provider value={names}>
      <main className={threadOf || membersOpen ? "room with-panel" : "room"} aria-labelledby="room-title">
        <div className="room-header">
          <h2 id="room-title">{title}</h2>
          {current?.private && <span className="private-tag">Private: members only</span>}
          {!dm && (
            <div className="room-actions">
              <button
                type="button"
                aria-expanded={membersOpen}
                onClick={() => {
                  closeThread();
                  setShowMembers(!membersOpen);
                }}
              >
                Members
              </button>
              {joined ? (
                <button type="button" onClick={() => chat.leave(room)}>
                  Leave room
                </button>
              ) : (
                <button type="button" onClick={() => chat.join(room)}>
                  Join room
                </button>
              )}
            </div>
          )}
          {!dm && <Topic room={room} topic={current?.topic ?? ""} canEdit={joined} />}
          <Presence users={current?.users ?? []} me={me} onMessage={dm ? undefined : chat.openDm} />
        </div>
        {chat.notice && (
          <div className="notice" role="alert">
            {chat.notice}{" "}
            <button type="button" onClick={chat.dismissNotice}>
              Dismiss
            </button>
          </div>
        )}
        <MessageList
          label={dm ? `Messages with ${title}` : `Messages in ${room}`}
          me={me}
          messages={current?.messages ?? []}
          pending={pending}
          changes={changes}
          hasOlder={current?.hasOlder ?? false}
          loadingOlder={chat.loadingOlder}
          onLoadOlder={() => void chat.loadOlder()}
          actions={actions}
          reactions={current?.reactions ?? {}}
          threads={current?.threads ?? {}}
          onReadUpTo={chat.readUpTo}
        />
        <TypingIndicator users={typingUsers(current)} />
        <Composer
          to={dm ? title : `#${room}`}
          draftKey={draftKey(me, room)}
          onSend={chat.send}
          onTyping={chat.typing}
          members={knownMembers(chat.state, room)}
        />
        {membersOpen && (
          <MembersPanel
            room={room}
            label={title}
            me={me}
            isPrivate={current?.private ?? false}
            joined={joined}
            changes={current?.memberChanges ?? 0}
            onMessage={chat.openDm}
            onClose={() => setShowMembers(false)}
          />
        )}
        {threadOf && (
          <ThreadPanel
            key={threadOf.id}
            parent={threadOf}
            replies={replies}
            me={me}
            roomLabel={dm ? title : `#${room}`}
            onReply={(text, inRoom) => chat.reply(threadOf, text, inRoom)}
            onClose={closeThread}
          />
        )}
      </main>
    </DisplayNamesContext.Provider>
  );
}
