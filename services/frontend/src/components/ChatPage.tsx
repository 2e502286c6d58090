import { useCallback, useState } from "react";
import type { ChatMessage } from "../api/types";
import { draftKey } from "../chat/drafts";
import { knownMembers } from "../chat/members";
import { roomEntries, roomLabel } from "../chat/rooms";
import { typingUsers } from "../chat/state";
import { useChat, type Chat } from "../chat/useChat";
import { useTabTitle } from "./useTabTitle";
import { Composer } from "./Composer";
import { ConnectionStatus } from "./ConnectionStatus";
import { MessageList } from "./MessageList";
import { Presence, TypingIndicator } from "./Presence";
import { RoomList } from "./RoomList";
import { Search } from "./Search";
import { ThreadPanel } from "./ThreadPanel";

interface Props {
  me: string;
  onLogout(): void;
  onSessionExpired(): void;
}

export function ChatPage({ me, onLogout, onSessionExpired }: Props) {
  const chat = useChat(me, onSessionExpired);
  const entries = roomEntries(chat.state);
  useTabTitle(entries);

  return (
    <div className="chat">
      <header className="topbar">
        <h1>Chat</h1>
        <ConnectionStatus status={chat.state.status} />
        <Search
          me={me}
          label={(room) => roomLabel(room, chat.state.rooms[room], me)}
          onOpen={chat.selectRoom}
        />
        <span className="me">
          <span className="me-prefix">Signed in as </span>
          <strong>{me}</strong>
        </span>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <RoomList rooms={entries} current={chat.room} onSelect={chat.selectRoom} onCreate={chat.createRoom} />
      {chat.room !== null && chat.found === "yes" ? (
        <Room key={chat.room} chat={chat} room={chat.room} me={me} />
      ) : (
        <main className="room room-missing" aria-labelledby="room-title">
          <div className="room-header">
            <h2 id="room-title">{chat.found === "finding" ? "Loading…" : "Conversation not found"}</h2>
          </div>
          {chat.found === "no" && (
            <p className="missing">
              There is no room or direct message at this address, or you are not a member of it. Pick a
              conversation from the list, or create a room.
            </p>
          )}
        </main>
      )}
    </div>
  );
}

/** One open conversation (mounted per room: it opens at its newest message, with its draft). */
function Room({ chat, room, me }: { chat: Chat; room: string; me: string }) {
  const current = chat.state.rooms[room];
  const dm = current?.kind === "dm";
  const title = roomLabel(room, current, me);
  const pending = chat.state.pending.filter((p) => p.room === room);
  const changes = chat.state.changes.filter((c) => c.room === room);
  const [threadOf, setThreadOf] = useState<ChatMessage | null>(null);
  const { loadThread } = chat;
  const openThread = useCallback(
    (message: ChatMessage) => {
      setThreadOf(message);
      loadThread(message);
    },
    [loadThread],
  );
  return (
    <main className="room" aria-labelledby="room-title">
      <div className="room-header">
        <h2 id="room-title">{title}</h2>
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
        actions={{ ...chat, openThread }}
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
      {threadOf && (
        <ThreadPanel
          key={threadOf.id}
          parent={current?.messages.find((m) => m.id === threadOf.id) ?? threadOf}
          replies={current?.replies[threadOf.id] ?? []}
          me={me}
          roomLabel={dm ? title : `#${room}`}
          onReply={(text, inRoom) => chat.reply(threadOf, text, inRoom)}
          onClose={() => setThreadOf(null)}
        />
      )}
    </main>
  );
}
