import { useId, useState, type FormEvent } from "react";
import { api } from "../api/http";
import type { ChatMessage, SearchHit, SnippetPart } from "../api/types";
import { MessageText } from "./MessageText";

interface Props {
  me: string;
  /** A conversation's name as the room list shows it (a DM by the other person). */
  label(room: string): string;
  /** Opens the conversation. */
  onOpen(room: string): void;
}

type Results =
  | { state: "idle" }
  | { state: "searching" }
  | { state: "found"; query: string; hits: SearchHit[] }
  | { state: "failed"; detail: string };

/** The matched words highlighted; the snippet is plain text in parts, never markup. */
export function Snippet({ parts }: { parts: SnippetPart[] }) {
  return (
    <span className="snippet">
      {parts.map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : part.text))}
    </span>
  );
}

function when(ts: number): string {
  return new Date(ts).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** Search every conversation I can see; a result shows the messages around it. */
export function Search({ me, label, onOpen }: Props) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<Results>({ state: "idle" });
  const [opened, setOpened] = useState<{ hit: SearchHit; around: ChatMessage[] | string } | null>(null);
  const headingId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const q = query.trim();
    if (!q) return;
    setOpened(null);
    setResults({ state: "searching" });
    try {
      setResults({ state: "found", query: q, hits: await api.search(q) });
    } catch (err) {
      setResults({ state: "failed", detail: err instanceof Error ? err.message : String(err) });
    }
  }

  async function open(hit: SearchHit) {
    setOpened({ hit, around: [] });
    try {
      setOpened({ hit, around: await api.context(hit.message.room, hit.message.id) });
    } catch (err) {
      setOpened({ hit, around: err instanceof Error ? err.message : String(err) });
    }
  }

  const close = () => {
    setResults({ state: "idle" });
    setOpened(null);
  };

  return (
    <>
      <form role="search" className="search" onSubmit={(event) => void submit(event)}>
        <input
          type="search"
          aria-label="Search messages"
          placeholder="Search"
          maxLength={200}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
      </form>
      {results.state !== "idle" && (
        <aside className="search-results" aria-labelledby={headingId}>
          <div className="search-header">
            <h2 id={headingId}>
              {results.state === "found" ? `Results for “${results.query}”` : "Search"}
            </h2>
            <button type="button" onClick={close}>
              Close search
            </button>
          </div>
          {results.state === "searching" && <p>Searching…</p>}
          {results.state === "failed" && <p role="alert">{results.detail}</p>}
          {results.state === "found" && results.hits.length === 0 && <p>No messages match.</p>}
          {results.state === "found" && opened === null && (
            <ul className="hits">
              {results.hits.map((hit) => (
                <li key={`${hit.message.room}/${hit.message.id}`}>
                  <button type="button" className="hit" onClick={() => void open(hit)}>
                    <span className="hit-meta">
                      {label(hit.message.room)} · {hit.message.user} · {when(hit.message.ts)}
                    </span>
                    <Snippet parts={hit.snippet} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          {opened !== null && (
            <Context
              hit={opened.hit}
              around={opened.around}
              me={me}
              label={label}
              onBack={() => setOpened(null)}
              onOpen={() => {
                onOpen(opened.hit.message.room);
                close();
              }}
            />
          )}
        </aside>
      )}
    </>
  );
}

interface ContextProps {
  hit: SearchHit;
  me: string;
  /** The messages around the hit, or why they could not be read. */
  around: ChatMessage[] | string;
  label(room: string): string;
  onBack(): void;
  onOpen(): void;
}

/** A search result among the messages around it, the result marked. */
function Context({ hit, around, me, label, onBack, onOpen }: ContextProps) {
  const room = label(hit.message.room);
  return (
    <section className="search-context" aria-label={`Around the result in ${room}`}>
      <div className="search-header">
        <button type="button" onClick={onBack}>
          Back to results
        </button>
        <button type="button" onClick={onOpen}>
          Open {room}
        </button>
      </div>
      {typeof around === "string" ? (
        <p role="alert">{around}</p>
      ) : (
        <ol className="context-messages">
          {around.map((message) => (
            <li
              key={message.id}
              className={message.id === hit.message.id ? "message found" : "message"}
              aria-current={message.id === hit.message.id ? "true" : undefined}
            >
              <span className="author">{message.user}</span> <time>{when(message.ts)}</time>
              {message.deleted ? <em>deleted</em> : <MessageText text={message.text} me={me} />}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
