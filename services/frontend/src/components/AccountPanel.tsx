import { useState, type FormEvent } from "react";
import { api } from "../api/http";
import { limits } from "../api/protocol";
import { passwordError, PASSWORD_MAX } from "../auth/validation";
import { failure, SidePanel } from "./SidePanel";

interface Props {
  me: string;
  displayName: string;
  onDisplayName(name: string): void;
  /** Every session of mine has ended, this one too. */
  onLoggedOut(): void;
  onClose(): void;
}

type Outcome = { ok: string } | { error: string } | null;

function Said({ outcome }: { outcome: Outcome }) {
  if (outcome === null) return null;
  if ("ok" in outcome) return <p role="status">{outcome.ok}</p>;
  return (
    <p role="alert" className="field-error">
      {outcome.error}
    </p>
  );
}

/** My account: the name others see, my password, and every session I have open. */
export function AccountPanel({ me, displayName, onDisplayName, onLoggedOut, onClose }: Props) {
  return (
    <SidePanel title="Account" closeLabel="Close account" onClose={onClose}>
      <p>
        Username: <strong>{me}</strong> (it never changes)
      </p>
      <DisplayNameForm current={displayName} onSaved={onDisplayName} />
      <PasswordForm />
      <section className="account-section">
        <h3>Sessions</h3>
        <p className="hint">Logs out every browser and device signed in as you, this one too.</p>
        <button type="button" onClick={() => void api.logoutEverywhere().finally(onLoggedOut)}>
          Log out everywhere
        </button>
      </section>
    </SidePanel>
  );
}

function DisplayNameForm({ current, onSaved }: { current: string; onSaved(name: string): void }) {
  const [name, setName] = useState(current);
  const [outcome, setOutcome] = useState<Outcome>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      await api.setDisplayName(name);
      onSaved(name.trim());
      setOutcome({ ok: name.trim() ? "Display name saved." : "Display name cleared." });
    } catch (err) {
      setOutcome({ error: failure(err) });
    }
  }

  return (
    <form className="account-section" onSubmit={(event) => void save(event)}>
      <h3>Display name</h3>
      <label>
        Shown beside your username
        <input
          value={name}
          maxLength={limits.display_name_max_length}
          autoComplete="nickname"
          onChange={(event) => {
            setName(event.target.value);
            setOutcome(null);
          }}
        />
      </label>
      <button type="submit">Save display name</button>
      <Said outcome={outcome} />
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [outcome, setOutcome] = useState<Outcome>(null);

  async function change(event: FormEvent) {
    event.preventDefault();
    const invalid = passwordError(next);
    if (invalid) {
      setOutcome({ error: `New password: ${invalid}` });
      return;
    }
    try {
      await api.changePassword(current, next);
      setCurrent("");
      setNext("");
      setOutcome({ ok: "Password changed. Your other sessions were logged out." });
    } catch (err) {
      setOutcome({ error: failure(err) });
    }
  }

  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    setOutcome(null);
  };
  return (
    <form className="account-section" onSubmit={(event) => void change(event)}>
      <h3>Password</h3>
      <PasswordField label="Current password" autoComplete="current-password" value={current} onChange={edit(setCurrent)} />
      <PasswordField label="New password" autoComplete="new-password" value={next} onChange={edit(setNext)} />
      <button type="submit">Change password</button>
      <Said outcome={outcome} />
    </form>
  );
}

interface PasswordFieldProps {
  label: string;
  autoComplete: "current-password" | "new-password";
  value: string;
  onChange(value: string): void;
}

function PasswordField({ label, autoComplete, value, onChange }: PasswordFieldProps) {
  return (
    <label>
      {label}
      <input
        type="password"
        autoComplete={autoComplete}
        maxLength={PASSWORD_MAX}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
