import { useState, type FormEvent } from "react";
import { api } from "../api/http";
import { failure } from "./SidePanel";

/** The room's topic, which its members can change (everyone subscribed sees it at once). */
export function Topic({ room, topic, canEdit }: { room: string; topic: string; canEdit: boolean }) {
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
