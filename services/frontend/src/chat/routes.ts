/** Every room and DM has its own address: /r/<room> and /dm/<user> (the other member; a group
 * DM goes by its room name, /r/dm:<a>:<b>:<c>…), and each thread its conversation's plus
 * /thread/<id>, so reload, back and forward keep the conversation, and links to one can be
 * shared. */
import { protocolSchema } from "../api/protocol";
import type { RoomState } from "./state";

export const DEFAULT_ROOM = "general";

/** A conversation, and the thread open beside it (its first message's id), if any. */
export type Route =
  | { kind: "room"; name: string; thread?: string }
  | { kind: "dm"; user: string; thread?: string }
  | { kind: "unknown"; path: string };

/** A thread's address is its conversation's, then /thread/<id>. */
const THREAD = "/thread/";
const MESSAGE_ID = new RegExp(protocolSchema.$defs.Message.properties.id.pattern);

function segment(path: string, prefix: string): string | null {
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  if (!rest || rest.includes("/")) return null;
  try {
    return decodeURIComponent(rest);
  } catch {
    return null; // a malformed %-escape
  }
}

export function parseRoute(path: string): Route {
  if (path === "/") return { kind: "room", name: DEFAULT_ROOM };
  const at = path.indexOf(THREAD);
  const conversation = at < 0 ? path : path.slice(0, at);
  const thread = at < 0 ? {} : { thread: path.slice(at + THREAD.length) };
  if (thread.thread !== undefined && !MESSAGE_ID.test(thread.thread)) return { kind: "unknown", path };
  const room = segment(conversation, "/r/");
  if (room !== null) return { kind: "room", name: room, ...thread };
  const user = segment(conversation, "/dm/");
  if (user !== null) return { kind: "dm", user, ...thread };
  return { kind: "unknown", path };
}

// ":" may stand in a path segment as it is: a group DM's address stays readable.
export const roomPath = (name: string) => `/r/${encodeURIComponent(name).replaceAll("%3A", ":")}`;
export const dmPath = (user: string) => `/dm/${encodeURIComponent(user)}`;
export const threadPath = (conversation: string, id: string) => `${conversation}${THREAD}${id}`;

/** The address of a room or DM the client knows (a DM's is its other member's; a group
 * DM, which has several, goes by its room name). */
export function pathOf(name: string, room: Pick<RoomState, "kind" | "members"> | undefined, me: string): string {
  if (room?.kind !== "dm" || room.members.length > 2) return roomPath(name);
  return dmPath(room.members.find((m) => m !== me) ?? me);
}

/** The room a route names, if the client knows it: a DM is found by its other member. */
export function routeRoom(route: Route, rooms: Record<string, RoomState>, me: string): string | null {
  if (route.kind === "room") return route.name;
  if (route.kind === "unknown") return null;
  const members = (r: RoomState) => r.members.length === 2 && r.members.includes(route.user) && r.members.includes(me);
  return Object.entries(rooms).find(([, r]) => r.kind === "dm" && members(r))?.[0] ?? null;
}
