import { useEffect, useState } from "react";
import { api } from "../api/http";
import { limits, type Person } from "../api/protocol";
import { PersonName } from "./PersonName";
import { failure, SidePanel } from "./SidePanel";

interface Props {
  me: string;
  onMessage(user: string): void;
  /** Opens (or finds) the group DM with the others `users`. */
  onMessageGroup(users: string[]): Promise<void>;
  onClose(): void;
}

/** The others a group DM may have: its opener is the last of its members. */
const GROUP_OTHERS_MAX = limits.dm_max_members - 1;

/** Everyone registered, found by the start of their name, to message alone or in a group. */
export function PeoplePanel({ me, onMessage, onMessageGroup, onClose }: Props) {
  const [prefix, setPrefix] = useState("");
  const [found, setFound] = useState<{ people: Person[]; after?: string } | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api.people(prefix.trim()).then(
      (page) => !cancelled && setFound({ people: page.people, after: page.after }),
      (err: unknown) => !cancelled && setError(failure(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [prefix]);

  async function more() {
    if (found?.after === undefined) return;
    try {
      const page = await api.people(prefix.trim(), found.after);
      setFound({ people: [...found.people, ...page.people], after: page.after });
    } catch (err) {
      setError(failure(err));
    }
  }

  function choose(user: string, on: boolean) {
    setChosen((current) => (on ? [...current, user] : current.filter((u) => u !== user)));
  }

  async function messageGroup() {
    try {
      await onMessageGroup(chosen);
    } catch (err) {
      setError(failure(err));
    }
  }

  const others = found?.people.filter((p) => p.username !== me) ?? [];
  return (
    <SidePanel title="People" closeLabel="Close people" onClose={onClose}>
      <input
        type="search"
        aria-label="Find people"
        placeholder="Find people by name"
        value={prefix}
        onChange={(event) => {
          setPrefix(event.target.value);
          setError(null);
        }}
      />
      {error && (
        <p role="alert" className="field-error">
          {error}
        </p>
      )}
      <p className="hint">
        Message one person, or tick 2 to {GROUP_OTHERS_MAX} people for a group message.
      </p>
      {chosen.length >= 2 && (
        <button type="button" className="primary" onClick={() => void messageGroup()}>
          Message {chosen.join(", ")}
        </button>
      )}
      {found && others.length === 0 && <p>Nobody found.</p>}
      <ul className="people-list" aria-label="People">
        {others.map((person) => {
          const picked = chosen.includes(person.username);
          return (
            <li key={person.username}>
              <input
                type="checkbox"
                aria-label={`Choose ${person.username} for a group message`}
                checked={picked}
                disabled={!picked && chosen.length >= GROUP_OTHERS_MAX}
                onChange={(event) => choose(person.username, event.target.checked)}
              />
              <PersonName person={person} />
              <span className="row-actions">
                <button type="button" aria-label={`Message ${person.username}`} onClick={() => onMessage(person.username)}>
                  Message
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      {found?.after !== undefined && (
        <button type="button" onClick={() => void more()}>
          Show more people
        </button>
      )}
    </SidePanel>
  );
}
