/** How rooms and DMs are named on screen: "# general" for a room, the other members' names
 * for a DM, and the room list's entries with their unread counts and mention marks. */
import { mentionUnread, unreadCount, type ChatState, type RoomState } from "./state";

export interface RoomEntry {
  name: string;
  kind: "room" | "dm";
  label: string;
  private: boolean;
  unread: number;
  mentioned: boolean;
}

export function roomLabel(name: string, room: RoomState | undefined, me: string): string {
  if (room?.kind !== "dm") return `# ${name}`;
  const others = room.members.filter((m) => m !== me);
  return others.length ? others.join(", ") : name;
}

/** The entry's accessible name, e.g. "# random, private, 3 unread, mention". */
export function entryName(entry: RoomEntry): string {
  const unread = entry.unread > 0 ? `, ${entry.unread} unread` : "";
  return `${entry.label}${entry.private ? ", private" : ""}${unread}${entry.mentioned ? ", mention" : ""}`;
}

/** Every room the server listed: rooms by name, then DMs by the other member's name. */
export function roomEntries(state: ChatState): RoomEntry[] {
  const entries: RoomEntry[] = [];
  for (const [name, room] of Object.entries(state.rooms)) {
    if (room.kind === undefined) continue;
    entries.push({
      name,
      kind: room.kind,
      label: roomLabel(name, room, state.me),
      private: room.private,
      unread: unreadCount(room),
      mentioned: mentionUnread(room),
    });
  }
  const order = (e: RoomEntry) => (e.kind === "room" ? 0 : 1);
  return entries.sort((a, b) => order(a) - order(b) || a.label.localeCompare(b.label));
}
