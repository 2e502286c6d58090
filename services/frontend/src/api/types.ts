/** The backend contract (README, "The chat API"): what the server sends and what the client may send. */

export interface ChatMessage {
  id: string;
  room: string;
  user: string;
  text: string;
  ts: number;
  client_id: string;
}

export type ClientFrame =
  | { type: "subscribe"; room: string; since?: string }
  | { type: "unsubscribe"; room: string }
  | { type: "message"; room: string; text: string; client_id: string }
  | { type: "typing"; room: string }
  | { type: "ping" };

export type ServerFrame =
  | { type: "ack"; client_id: string; id: string }
  | { type: "message"; message: ChatMessage }
  | { type: "presence"; room: string; users: string[] }
  | { type: "typing"; room: string; user: string }
  | { type: "pong" }
  | { type: "error"; code: string; detail: string; client_id?: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isMessage(value: unknown): value is ChatMessage {
  return (
    isRecord(value) &&
    typeof value.id === "string" &&
    typeof value.room === "string" &&
    typeof value.user === "string" &&
    typeof value.text === "string" &&
    typeof value.ts === "number" &&
    typeof value.client_id === "string"
  );
}

/** Parses one WebSocket frame; anything not matching the contract is dropped (null). */
export function parseServerFrame(raw: string): ServerFrame | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(data)) return null;
  switch (data.type) {
    case "ack":
      return typeof data.client_id === "string" && typeof data.id === "string"
        ? { type: "ack", client_id: data.client_id, id: data.id }
        : null;
    case "message":
      return isMessage(data.message) ? { type: "message", message: data.message } : null;
    case "presence":
      return typeof data.room === "string" &&
        Array.isArray(data.users) &&
        data.users.every((u) => typeof u === "string")
        ? { type: "presence", room: data.room, users: data.users as string[] }
        : null;
    case "typing":
      return typeof data.room === "string" && typeof data.user === "string"
        ? { type: "typing", room: data.room, user: data.user }
        : null;
    case "pong":
      return { type: "pong" };
    case "error":
      return typeof data.code === "string" && typeof data.detail === "string"
        ? {
            type: "error",
            code: data.code,
            detail: data.detail,
            ...(typeof data.client_id === "string" ? { client_id: data.client_id } : {}),
          }
        : null;
    default:
      return null;
  }
}

/** Stream ids are "<ms>-<seq>"; compares them numerically (string order is wrong for "9-0" vs "10-0"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}
