import { useId, useState, type FormEvent } from "react";
import { api, ApiError, type Me } from "../api/http";
import { NAME_MAX, nameError, passwordError, PASSWORD_MAX } from "../auth/validation";

type Mode = "login" | "register";

export function LoginPage({ onLoggedIn }: { onLoggedIn(me: Me): void }) {
  const [mode, setMode] = useState<Mode>("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [checked, setChecked] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { user: useId(), userError: useId(), pass: useId(), passError: useId() };

  const userProblem = checked ? nameError(username) : null;
  const passProblem = checked ? passwordError(password) : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setChecked(true);
    setServerError(null);
    if (nameError(username) || passwordError(password)) return;
    setBusy(true);
    try {
      const me = mode === "login" ? await api.login(username, password) : await api.register(username, password);
      onLoggedIn(me);
    } catch (err) {
      setServerError(err instanceof ApiError ? err.message : "Something went wrong. Please retry.");
    } finally {
      setBusy(false);
    }
  }

  function switchMode() {
    setMode(mode === "login" ? "register" : "login");
    setServerError(null);
    setChecked(false);
  }

  const title = mode === "login" ? "Log in" : "Create an account";
  return (
    <main className="login">
      <h1>Chat</h1>
      <form onSubmit={submit} noValidate aria-labelledby="login-title">
        <h2 id="login-title">{title}</h2>
        <label htmlFor={ids.user}>Username</label>
        <input
          id={ids.user}
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={userProblem ? true : undefined}
          aria-describedby={userProblem ? ids.userError : undefined}
          maxLength={NAME_MAX}
        />
        {userProblem && (
          <p id={ids.userError} className="field-error">
            {userProblem}
          </p>
        )}
        <label htmlFor={ids.pass}>Password</label>
        <input
          id={ids.pass}
          name="password"
          type="password"
          autoComplete={mode === "login" ? "current-password" : "new-password"}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={passProblem ? true : undefined}
          aria-describedby={passProblem ? ids.passError : undefined}
          maxLength={PASSWORD_MAX}
        />
        {passProblem && (
          <p id={ids.passError} className="field-error">
            {passProblem}
          </p>
        )}
        {serverError && (
          <p role="alert" className="server-error">
            {serverError}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {mode === "login" ? "Log in" : "Register"}
        </button>
      </form>
      <p>
        {mode === "login" ? "No account yet? " : "Already registered? "}
        <button type="button" className="link" onClick={switchMode}>
          {mode === "login" ? "Register" : "Log in instead"}
        </button>
      </p>
    </main>
  );
}
