import { useEffect, useRef, useState } from "react";
import { api, ApiError } from "./api/http";
import { ChatPage } from "./components/ChatPage";
import { LoginPage } from "./components/LoginPage";
import { usePath } from "./router";

type Session =
  | { state: "checking" }
  | { state: "in"; me: string; displayName: string }
  | { state: "out" }
  | { state: "error"; detail: string };

export function App() {
  const [path, navigate] = usePath();
  const [session, setSession] = useState<Session>({ state: "checking" });
  /** The conversation asked for before logging in: where logging in leads. */
  const wanted = useRef("/");

  useEffect(() => {
    api.me().then(
      (me) => setSession({ state: "in", me: me.username, displayName: me.display_name ?? "" }),
      (err: unknown) =>
        setSession(
          err instanceof ApiError && err.status === 401
            ? { state: "out" }
            : { state: "error", detail: err instanceof Error ? err.message : String(err) },
        ),
    );
  }, []);

  // Unauthenticated visits to the chat go to /login; logging in leads back to the address
  // asked for (a shared /r/<room> link), a logged-in visit to /login to the chat.
  useEffect(() => {
    if (session.state === "out" && path !== "/login") {
      wanted.current = path;
      navigate("/login", true);
    }
    if (session.state === "in" && path === "/login") navigate(wanted.current, true);
  }, [session, path, navigate]);

  if (session.state === "checking") return <p className="loading">Loading…</p>;
  if (session.state === "error") {
    return (
      <main className="login">
        <p role="alert">{session.detail}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Retry
        </button>
      </main>
    );
  }
  if (session.state === "out" || path === "/login") {
    return (
      <LoginPage
        onLoggedIn={(me) => setSession({ state: "in", me: me.username, displayName: me.display_name ?? "" })}
      />
    );
  }
  return (
    <ChatPage
      key={session.me}
      me={session.me}
      displayName={session.displayName}
      onDisplayName={(displayName) => setSession({ ...session, displayName })}
      onSessionExpired={() => setSession({ state: "out" })}
      onLogout={() => {
        api.logout().finally(() => setSession({ state: "out" }));
      }}
    />
  );
}
