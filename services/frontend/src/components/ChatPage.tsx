import { useCallback, useState, type FormEvent } from "react";
import { api } from "../api/http";
import type { ChatMessage } from "../api/types";
import { draftKey } from "../chat/drafts";
import { knownMembers } from "../chat/members";
import { roomEntries, roomLabel } from "../chat/rooms";
import { typingUsers } from "../chat/state";
import { useChat, type Chat } from "../chat/useChat";
import { useTabTitle } from "./useTabTitle";
import { AccountPanel } from "./AccountPanel";
import { Composer } from "./Composer";
import { ConnectionStatus } from "./ConnectionStatus";
import { MembersPanel } from "./MembersPanel";
import { MessageList } from "./MessageList";
import { PeoplePanel } from "./PeoplePanel";
import { Presence, TypingIndicator } from "./Presence";
import { RoomList } from "./RoomList";
import { Search } from "./Search";
import { failure } from "./SidePanel";
import { ThreadPanel } from "./ThreadPanel";

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
  const [showMembers, setShowMembers] = useState(false);
  const { loadThread } = chat;
  const openThread = useCallback(
    (message: ChatMessage) => {
      setShowMembers(false);
      setThreadOf(message);
      loadThread(message);
    },
    [loadThread],
  );
  const joined = current?.joined ?? false;
  return (
    <main className={threadOf || showMembers ? "room with-panel" : "room"} aria-labelledby="room-title">
      <div className="room-header">
        <h2 id="room-title">{title}</h2>
        {current?.private && <span className="private-tag">Private: members only</span>}
        {!dm && (
          <div className="room-actions">
            <button
              type="button"
              aria-expanded={showMembers}
              onClick={() => {
                setThreadOf(null);
                setShowMembers((shown) => !shown);
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
      {showMembers && (
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

/** The room's topic, which its members can change (everyone subscribed sees it at once). */
function Topic({ room, topic, canEdit }: { room: string; topic: string; canEdit: boolean }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (editing === null) return;
    try {
      await api.setTopic(room, editing);
      setEditing(null);
      setError(null);
    } catch (err) {
      setError(failure(err));
    }
  }

  if (editing !== null) {
    return (
      <form className="topic row" onSubmit={(event) => void save(event)}>
        <input aria-label="Topic" value={editing} onChange={(event) => setEditing(event.target.value)} />
        <button type="submit">Save topic</button>
        <button type="button" onClick={() => setEditing(null)}>
          Cancel
        </button>
        {error && (
          <p role="alert" className="field-error">
            {error}
          </p>
        )}
      </form>
    );
  }
  return (
    <p className="topic">
      {topic ? <span className="topic-text">{topic}</span> : canEdit && <span className="hint">No topic</span>}
      {canEdit && (
        <button type="button" className="link" onClick={() => setEditing(topic)}>
          {topic ? "Edit topic" : "Set a topic"}
        </button>
      )}
    </p>
  );
}
