/** The HTTP half of the contract: same-origin JSON calls under /api. */
import type { MemberPage, MessageReactions, PeoplePage, Person, ThreadPage } from "./protocol";
import type { ChatMessage, RoomInfo, SearchHit } from "./types";

/** A refused request, with the server's error code and human-readable reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and retry.");
  }
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data as { error?: unknown; detail?: unknown } | null;
    throw new ApiError(
      response.status,
      typeof error?.error === "string" ? error.error : "http_error",
      typeof error?.detail === "string" ? error.detail : `The server answered ${response.status}.`,
    );
  }
  return data as T;
}

export interface Me {
  username: string;
  display_name?: string;
}

export const HISTORY_PAGE = 50;

const roomPath = (room: string) => `/api/rooms/${encodeURIComponent(room)}`;

export const api = {
  me: () => request<Me>("GET", "/api/me"),
  login: (username: string, password: string) => request<Me>("POST", "/api/login", { username, password }),
  register: (username: string, password: string) =>
    request<Me>("POST", "/api/register", { username, password }),
  logout: () => request<void>("POST", "/api/logout"),
  /** Public rooms, then my DMs, each with my unread count and mention mark. */
  rooms: async () => (await request<{ rooms: RoomInfo[] }>("GET", "/api/rooms")).rooms,
  createRoom: (name: string, isPrivate: boolean) =>
    request<RoomInfo>("POST", "/api/rooms", { name, private: isPrivate }),
  /** My DM with `username`: created, or the existing one. */
  openDm: (username: string) => request<RoomInfo>("POST", "/api/dms", { username }),
  /** My group DM with the `usernames` (the others): created, or the existing one. */
  openGroupDm: (usernames: string[]) => request<RoomInfo>("POST", "/api/dms", { usernames }),
  join: (room: string) => request<RoomInfo>("POST", `${roomPath(room)}/join`),
  leave: (room: string) => request<void>("POST", `${roomPath(room)}/leave`),
  /** A page of the room's members, online first. */
  members: (room: string, offset: number) => request<MemberPage>("GET", `${roomPath(room)}/members?offset=${offset}`),
  addMember: (room: string, username: string) => request<void>("POST", `${roomPath(room)}/members`, { username }),
  removeMember: (room: string, username: string) =>
    request<void>("DELETE", `${roomPath(room)}/members/${encodeURIComponent(username)}`),
  setTopic: (room: string, topic: string) => request<void>("PUT", `${roomPath(room)}/topic`, { topic }),
  /** People whose name starts with `prefix`; `after` continues from the previous page. */
  people: (prefix: string, after?: string) => {
    const query = new URLSearchParams({ prefix });
    if (after) query.set("after", after);
    return request<PeoplePage>("GET", `/api/people?${query.toString()}`);
  },
  /** Those of `names` who are registered, with their display names (at most USERS_LOOKUP_MAX names). */
  users: async (names: string[]) => {
    const query = new URLSearchParams(names.map((name) => ["names", name]));
    return (await request<{ users: Person[] }>("GET", `/api/users?${query.toString()}`)).users;
  },
  setDisplayName: (displayName: string) => request<void>("PUT", "/api/me/display-name", { display_name: displayName }),
  /** Ends every other session of mine. */
  changePassword: (current: string, next: string) =>
    request<void>("POST", "/api/me/password", { current_password: current, new_password: next }),
  logoutEverywhere: () => request<void>("POST", "/api/logout-all"),
  history: async (room: string, before?: string) => {
    const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    if (before) query.set("before", before);
    const path = `${roomPath(room)}/messages?${query.toString()}`;
    return (await request<{ messages: ChatMessage[] }>("GET", path)).messages;
  },
  /** The reactions of the messages `ids` (those with none left out). */
  reactions: async (room: string, ids: string[]) => {
    const query = new URLSearchParams(ids.map((id) => ["ids", id]));
    const path = `${roomPath(room)}/reactions?${query.toString()}`;
    return (await request<{ messages: MessageReactions[] }>("GET", path)).messages;
  },
  /** My `emoji` on the message, or off it; the message's reactions after. */
  react: (room: string, id: string, emoji: string, add: boolean) =>
    request<MessageReactions>(
      add ? "PUT" : "DELETE",
      `${roomPath(room)}/messages/${encodeURIComponent(id)}/reactions/${encodeURIComponent(emoji)}`,
    ),
  /** A thread: its first message and every reply, oldest first. */
  thread: (room: string, id: string) =>
    request<ThreadPage>("GET", `${roomPath(room)}/messages/${encodeURIComponent(id)}/thread`),
  /** Messages matching `q` in every conversation I can see, newest first. */
  search: async (q: string) =>
    (await request<{ results: SearchHit[] }>("GET", `/api/search?${new URLSearchParams({ q }).toString()}`))
      .results,
  /** About a page of messages around `id`: where a search result opens. */
  context: async (room: string, id: string) => {
    const path = `${roomPath(room)}/messages/${encodeURIComponent(id)}/context`;
    return (await request<{ messages: ChatMessage[] }>("GET", `${path}?limit=${HISTORY_PAGE}`)).messages;
  },
};
