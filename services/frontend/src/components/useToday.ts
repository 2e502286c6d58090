import { useSyncExternalStore } from "react";
import { startOfDay } from "../chat/timeline";

// Checked every minute, so "Today" moves on at midnight.
function subscribe(onChange: () => void): () => void {
  const timer = setInterval(onChange, 60_000);
  return () => clearInterval(timer);
}

/** Local midnight of today. */
export function useToday(): number {
  return useSyncExternalStore(subscribe, () => startOfDay(Date.now()));
}
