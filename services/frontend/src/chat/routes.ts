/** Every room and DM has its own address: /r/<room> and /dm/<user> (the other member; a group
 * DM goes by its room name, /r/dm:<a>:<b>:<c>…), so
 * reload, back and forward keep the conversation, and links to one can be shared. */
import type { RoomState } from "./state";

export const DEFAULT_ROOM = "general";

export type Route = { kind: "room"; name: string } | { kind: "dm"; user: string } | { kind: "unknown"; path: string };

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
  const room = segment(path, "/r/");
  if (room !== null) return { kind: "room", name: room };
  const user = segment(path, "/dm/");
  if (user !== null) return { kind: "dm", user };
  return { kind: "unknown", path };
}

// ":" may stand in a path segment as it is: a group DM's address stays readable.
export const roomPath = (name: string) => `/r/${encodeURIComponent(name).replaceAll("%3A", ":")}`;
export const dmPath = (user: string) => `/dm/${encodeURIComponent(user)}`;

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
