import { useState } from "react";
import { roomEntries, roomLabel } from "../chat/rooms";
import { useChat } from "../chat/useChat";
import { useTabTitle } from "./useTabTitle";
import { AccountPanel } from "./AccountPanel";
import { ConnectionStatus } from "./ConnectionStatus";
import { PeoplePanel } from "./PeoplePanel";
import { Room } from "./Room";
import { RoomList } from "./RoomList";
import { Search } from "./Search";

interface Props {
  me: string;
  displayName: string;
  onDisplayName(name: string): void;
  onLogout(): void;
  onSessionExpired(): void;
}

export function ChatPage({ me, displayName, onDisplayName, onLogout, onSessionExpired }: Props) {
  const chat = useChat(me, onSessionExpired);
  const entries = roomEntries(chat.state);
  useTabTitle(entries);
  const [panel, setPanel] = useState<"people" | "account" | null>(null);
  const toggle = (which: "people" | "account") => setPanel((open) => (open === which ? null : which));
  const close = () => setPanel(null);

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
          Signed in as{" "}
          <strong>{displayName || me}</strong>
        </span>
        <button type="button" aria-expanded={panel === "account"} onClick={() => toggle("account")}>
          Account
        </button>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      {panel === "people" && (
        <PeoplePanel
          me={me}
          onMessage={(user) => {
            chat.openDm(user);
            close();
          }}
          onMessageGroup={async (users) => {
            await chat.openGroupDm(users);
            close();
          }}
          onClose={close}
        />
      )}
      {panel === "account" && (
        <AccountPanel
          me={me}
          displayName={displayName}
          onDisplayName={onDisplayName}
          onLoggedOut={onSessionExpired}
          onClose={close}
        />
      )}
      <RoomList
        rooms={entries}
        current={chat.room}
        onSelect={chat.selectRoom}
        onCreate={chat.createRoom}
        onFindPeople={() => toggle("people")}
      />
      {chat.room !== null && chat.found === "yes" ? (
        <Room key={chat.room} chat={chat} room={chat.room} me={me} displayName={displayName} />
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
