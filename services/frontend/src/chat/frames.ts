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
    case "edit":
      return {
        action: { type: "edited", room: frame.room, id: frame.id, target: frame.target, text: frame.text, ts: frame.ts },
      };
    case "delete":
      return { action: { type: "deleted", room: frame.room, id: frame.id, target: frame.target } };
    case "room":
      return { action: { type: "listed", rooms: [frame.room] } };
    case "activity":
      return { action: { type: "activity", rooms: frame.rooms } };
    case "mention":
      return { action: { type: "mentioned", room: frame.room, seq: frame.seq } };
    case "read":
      return { action: { type: "read", room: frame.room, seq: frame.seq } };
    case "presence":
      return { action: { type: "presence", room: frame.room, users: frame.users } };
    case "typing":
      return { action: { type: "typing", room: frame.room, user: frame.user, at: now } };
    case "error":
      return frame.client_id === undefined
        ? { notice: frame.detail }
        : { action: { type: "failed", clientId: frame.client_id, error: frame.detail } };
    // Rooms' topics, members, lost private rooms, reactions and threads are not shown yet.
    case "thread":
    case "reaction":
    case "topic":
    case "member":
    case "left":
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
