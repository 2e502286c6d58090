/** Two routes (/login and the chat) need no router library: the path, kept in sync with history. */
import { useSyncExternalStore } from "react";

const CHANGE = "chat:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

export function navigate(to: string, replace = false): void {
  if (window.location.pathname === to) return;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGE));
}

export function usePath(): [string, (to: string, replace?: boolean) => void] {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return [path, navigate];
}
