import { useId, useState, type FormEvent } from "react";
import { nameError } from "../auth/validation";

interface Props {
  rooms: string[];
  current: string;
  onSelect(room: string): void;
  onCreate(name: string): Promise<void>;
}

export function RoomList({ rooms, current, onSelect, onCreate }: Props) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const errorId = useId();

  async function create(event: FormEvent) {
    event.preventDefault();
    const invalid = nameError(name);
    if (invalid) {
      setError(invalid);
      return;
    }
    setBusy(true);
    try {
      await onCreate(name);
      setName("");
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <nav className="rooms" aria-label="Rooms">
      <h2>Rooms</h2>
      <ul>
        {rooms.map((room) => (
          <li key={room}>
            <button
              type="button"
              className="room-button"
              aria-current={room === current ? "page" : undefined}
              onClick={() => onSelect(room)}
            >
              # {room}
            </button>
          </li>
        ))}
      </ul>
      <form className="create-room" onSubmit={create} noValidate>
        <label htmlFor={inputId}>New room</label>
        <div className="row">
          <input
            id={inputId}
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={32}
            placeholder="New room"
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
          <button type="submit" disabled={busy}>
            Create
          </button>
        </div>
        {error && (
          <p id={errorId} role="alert" className="field-error">
            {error}
          </p>
        )}
      </form>
    </nav>
  );
}
