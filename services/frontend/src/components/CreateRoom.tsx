import { useId, useState, type FormEvent } from "react";
import { NAME_MAX, nameError } from "../auth/validation";

export function CreateRoom({ onCreate }: { onCreate(name: string, isPrivate: boolean): Promise<void> }) {
  const [name, setName] = useState("");
  const [isPrivate, setPrivate] = useState(false);
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
      await onCreate(name, isPrivate);
      setName("");
      setPrivate(false);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="create-room" onSubmit={create} noValidate>
      <label htmlFor={inputId}>New room</label>
      <div className="row">
        <input
          id={inputId}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setError(null); // the error was about what was there before
          }}
          maxLength={NAME_MAX}
          placeholder="New room"
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
        <button type="submit" disabled={busy}>
          Create
        </button>
      </div>
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
        Private (invite only)
      </label>
      {error && (
        <p id={errorId} role="alert" className="field-error">
          {error}
        </p>
      )}
    </form>
  );
}
