import type { Person } from "../api/protocol";

/** A person as lists show them: the display name they chose, then the unchanging username. */
export function PersonName({ person }: { person: Person }) {
  if (!person.display_name) return <span className="person">{person.username}</span>;
  return (
    <span className="person">
      {person.display_name} <span className="username">@{person.username}</span>
    </span>
  );
}
