import { useEffect, useState } from "react";
import type { RoomEntry } from "../chat/rooms";

/** "(3) Chat" while 3 messages are unread across rooms and DMs, as chats show it in the tab. */
export function tabTitle(entries: RoomEntry[], base: string): string {
  const unread = entries.reduce((sum, e) => sum + e.unread, 0);
  return unread > 0 ? `(${unread}) ${base}` : base;
}

/** Puts the unread count before the page's own title (index.html's) while mounted. */
export function useTabTitle(entries: RoomEntry[]): void {
  const [base] = useState(() => document.title);
  const title = tabTitle(entries, base);
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => () => void (document.title = base), [base]);
}
