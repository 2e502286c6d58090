interface Props {
  users: string[];
  me: string;
  /** Opens a DM with the user; absent where that makes no sense (in a DM). */
  onMessage?: (user: string) => void;
}

export function Presence({ users, me, onMessage }: Props) {
  return (
    <section className="presence" aria-label="Online in this room">
      <h3>Online ({users.length})</h3>
      <ul>
        {users.map((user) => (
          <li key={user}>
            <span className="dot" aria-hidden="true" />
            {user === me || !onMessage ? (
              <>
                {user}
                {user === me && " (you)"}
              </>
            ) : (
              <button type="button" className="dm-button" aria-label={`Message ${user}`} onClick={() => onMessage(user)}>
                {user}
                <span aria-hidden="true"> ✉</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function typingText(users: string[]): string {
  if (users.length === 0) return "";
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}

export function TypingIndicator({ users }: { users: string[] }) {
  return (
    <p className="typing" aria-live="polite">
      {typingText(users)}
    </p>
  );
}
