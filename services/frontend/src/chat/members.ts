/** Whom `@` offers in a conversation: the one place that says who its members are, so a
 * members endpoint can take over here. Today: a DM's members, who is online in the room and
 * who wrote recently (newest first), never me. */
import type { ChatState } from "./state";

export function knownMembers(state: ChatState, room: string): string[] {
  const r = state.rooms[room];
  if (!r) return [];
  const recent = r.messages.map((m) => m.user).reverse();
  const names = new Set([...r.members, ...r.users, ...recent]);
  names.delete(state.me);
  return [...names];
}
