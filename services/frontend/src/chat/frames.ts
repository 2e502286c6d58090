/** What each server frame means for the chat state (the connection has already handled
 * acks and retryable refusals for its outbox). */
import type { ServerFrame } from "../api/types";
import type { ChatAction } from "./state";

export type FrameOutcome = { action: ChatAction } | { notice: string } | null;

export function frameOutcome(frame: ServerFrame, now: number): FrameOutcome {
  switch (frame.type) {
    case "message":
      return { action: { type: "received", message: frame.message } };
    case "ack":
      return { action: { type: "acked", clientId: frame.client_id, id: frame.id, ts: frame.ts } };
    case "presence":
      return { action: { type: "presence", room: frame.room, users: frame.users } };
    case "typing":
      return { action: { type: "typing", room: frame.room, user: frame.user, at: now } };
    case "error":
      return frame.client_id === undefined
        ? { notice: frame.detail }
        : { action: { type: "failed", clientId: frame.client_id, error: frame.detail } };
    case "pong":
      return null;
  }
}

/** A client_id unique enough to never collide: 128 random bits. getRandomValues (unlike
 * randomUUID) also works on plain-http origins that are not a "secure context". */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
