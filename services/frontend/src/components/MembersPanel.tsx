import { useEffect, useState, type FormEvent } from "react";
import { api } from "../api/http";
import type { Member } from "../api/protocol";
import { PersonName } from "./PersonName";
import { failure, SidePanel } from "./SidePanel";

interface Props {
  room: string;
  /** "# name", as the header shows it. */
  label: string;
  me: string;
  /** Invite-only: members add and remove members. */
  isPrivate: boolean;
  /** I am in the room: I may add people to it. */
  joined: boolean;
  /** Bumped by every membership change seen live: the list is read again. */
  changes: number;
  onMessage(user: string): void;
  onClose(): void;
}

interface Listed {
  members: Member[];
  total: number;
  next?: number;
}

/** Everyone in the room, online first, with who can be messaged, added or removed. */
export function MembersPanel({ room, label, me, isPrivate, joined, changes, onMessage, onClose }: Props) {
  const [listed, setListed] = useState<Listed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api.members(room, 0).then(
      (page) => {
        if (!cancelled) setListed({ members: page.members, total: page.total, next: page.next_offset });
      },
      (err: unknown) => !cancelled && setError(failure(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [room, changes, reload]);

  async function more() {
    if (listed?.next === undefined) return;
    try {
      const page = await api.members(room, listed.next);
      setListed({ members: [...listed.members, ...page.members], total: page.total, next: page.next_offset });
    } catch (err) {
      setError(failure(err));
    }
  }

  async function remove(user: string) {
    try {
      await api.removeMember(room, user);
      setReload((n) => n + 1);
    } catch (err) {
      setError(failure(err));
    }
  }

  return (
    <SidePanel title={`Members of ${label}`} closeLabel="Close members" onClose={onClose}>
      {error && (
        <p role="alert" className="field-error">
          {error}
        </p>
      )}
      {joined && <AddMember room={room} onAdded={() => setReload((n) => n + 1)} />}
      {listed && <p className="hint">{listed.total === 1 ? "1 member" : `${listed.total} members`}</p>}
      <ul className="people-list" aria-label="Members">
        {listed?.members.map((member) => (
          <li key={member.username}>
            <span className={member.online ? "dot" : "dot away"} role="img" aria-label={member.online ? "online" : "away"} />
            <PersonName person={member} />
            {member.username === me ? (
              <span> (you)</span>
            ) : (
              <span className="row-actions">
                <button type="button" aria-label={`Message ${member.username}`} onClick={() => onMessage(member.username)}>
                  Message
                </button>
                {isPrivate && (
                  <button type="button" aria-label={`Remove ${member.username}`} onClick={() => void remove(member.username)}>
                    Remove
                  </button>
                )}
              </span>
            )}
          </li>
        ))}
      </ul>
      {listed?.next !== undefined && (
        <button type="button" onClick={() => void more()}>
          Show more members
        </button>
      )}
    </SidePanel>
  );
}

/** Adds someone by username: a private room's invitation (they are in it at once). */
function AddMember({ room, onAdded }: { room: string; onAdded(): void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    const username = name.trim();
    if (!username) return;
    try {
      await api.addMember(room, username);
      setName("");
      setError(null);
      onAdded();
    } catch (err) {
      setError(failure(err));
    }
  }

  return (
    <form className="row add-member" onSubmit={(event) => void add(event)}>
      <input
        aria-label="Add a member by username"
        placeholder="Add someone"
        autoComplete="off"
        value={name}
        onChange={(event) => {
          setName(event.target.value);
          setError(null);
        }}
      />
      <button type="submit">Add</button>
      {error && (
        <p role="alert" className="field-error">
          {error}
        </p>
      )}
    </form>
  );
}
