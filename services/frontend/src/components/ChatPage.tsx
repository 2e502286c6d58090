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
  const pending = chat.state.pending.filter((p) => p.room === chat.room);

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
      <RoomList rooms={chat.rooms} current={chat.room} onSelect={chat.selectRoom} onCreate={chat.createRoom} />
      <main className="room" aria-labelledby="room-title">
        <div className="room-header">
          <h2 id="room-title"># {chat.room}</h2>
          <Presence users={current?.users ?? []} me={me} />
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
          room={chat.room}
          messages={current?.messages ?? []}
          pending={pending}
          hasOlder={current?.hasOlder ?? false}
          loadingOlder={chat.loadingOlder}
          onLoadOlder={() => void chat.loadOlder()}
          onDiscard={chat.discard}
        />
        <TypingIndicator users={typingUsers(current)} />
        <Composer room={chat.room} onSend={chat.send} onTyping={chat.typing} />
      </main>
    </div>
  );
}
