import { useId, type ReactNode } from "react";
import { entryName, type RoomEntry } from "../chat/rooms";
import { CreateRoom } from "./CreateRoom";
import { useScrollEdges } from "./useScrollEdges";

interface Props {
  rooms: RoomEntry[];
  current: string | null;
  onSelect(room: string): void;
  onCreate(name: string, isPrivate: boolean): Promise<void>;
  /** Opens the people directory: anyone can be messaged from there. */
  onFindPeople(): void;
}

export function RoomList({ rooms, current, onSelect, onCreate, onFindPeople }: Props) {
  const dms = rooms.filter((r) => r.kind === "dm");
  const [strip, edges, onScroll] = useScrollEdges<HTMLElement>();
  const fade = `${edges.before ? " more-before" : ""}${edges.after ? " more-after" : ""}`;
  return (
    <nav ref={strip} className={`rooms${fade}`} aria-label="Conversations" onScroll={onScroll}>
      <Section title="Rooms" entries={rooms.filter((r) => r.kind === "room")} current={current} onSelect={onSelect}>
        <CreateRoom onCreate={onCreate} />
      </Section>
      <Section title="Direct messages" entries={dms} current={current} onSelect={onSelect}>
        {dms.length === 0 && <p className="hint">Message anyone, online or not: find them by name.</p>}
        <button type="button" className="find-people" onClick={onFindPeople}>
          Find people
        </button>
      </Section>
    </nav>
  );
}

interface SectionProps {
  title: string;
  entries: RoomEntry[];
  current: string | null;
  onSelect(room: string): void;
  children?: ReactNode;
}

function Section({ title, entries, current, onSelect, children }: SectionProps) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <ul>
        {entries.map((entry) => (
          <li key={entry.name}>
            <button
              type="button"
              className="room-button"
              aria-label={entryName(entry)}
              aria-current={entry.name === current ? "page" : undefined}
              onClick={() => onSelect(entry.name)}
            >
              <span className="room-label">{entry.label}</span>
              {entry.private && (
                <span className="lock" aria-hidden="true">
                  🔒
                </span>
              )}
              {entry.mentioned && (
                <span className="mention-mark" aria-hidden="true">
                  @
                </span>
              )}
              {entry.unread > 0 && (
                <span className="badge" aria-hidden="true">
                  {entry.unread}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      {children}
    </section>
  );
}
