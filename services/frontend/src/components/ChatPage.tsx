import { draftKey } from "../chat/drafts";
import { roomEntries, roomLabel } from "../chat/rooms";
import { typingUsers } from "../chat/state";
import { useChat } from "../chat/useChat";
import { Composer } from "./Composer";
import { ConnectionStatus } from "./ConnectionStatus";
import { MessageList } from "./MessageList";
import { Presence, TypingIndicator } from "./Presence";
import { RoomList } from "./RoomList";

interface Props {
  me: string;
  onLogout(): void;
  onSessionExpired(): void;
}

export function ChatPage({ me, onLogout, onSessionExpired }: Props) {
  const chat = useChat(me, onSessionExpired);
  const current = chat.state.rooms[chat.room];
  const dm = current?.kind === "dm";
  const title = roomLabel(chat.room, current, me);
  const pending = chat.state.pending.filter((p) => p.room === chat.room);
  const changes = chat.state.changes.filter((c) => c.room === chat.room);

  return (
    <div className="chat">
      <header className="topbar">
        <h1>Chat</h1>
        <ConnectionStatus status={chat.state.status} />
        <span className="me">
          Signed in as <strong>{me}</strong>
        </span>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <RoomList rooms={roomEntries(chat.state)} current={chat.room} onSelect={chat.selectRoom} onCreate={chat.createRoom} />
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
          key={chat.room}
          label={dm ? `Messages with ${title}` : `Messages in ${chat.room}`}
          me={me}
          messages={current?.messages ?? []}
          pending={pending}
          changes={changes}
          hasOlder={current?.hasOlder ?? false}
          loadingOlder={chat.loadingOlder}
          onLoadOlder={() => void chat.loadOlder()}
          actions={chat}
          onReadUpTo={chat.readUpTo}
        />
        <TypingIndicator users={typingUsers(current)} />
        <Composer
          key={chat.room}
          to={dm ? title : `#${chat.room}`}
          draftKey={draftKey(me, chat.room)}
          onSend={chat.send}
          onTyping={chat.typing}
        />
      </main>
    </div>
  );
}
