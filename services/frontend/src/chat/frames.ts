/** What each server frame means for the chat state (the connection has already handled
 * acks and retryable refusals for its outbox). */
import type { ErrorCode, ServerFrame } from "../api/types";
import type { ChatAction } from "./state";

export type FrameOutcome = { action: ChatAction } | { notice: string } | null;

type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

/** Refusals that a later retry can fix; anything else is final for that message. */
const RETRYABLE: ReadonlySet<string> = new Set<ErrorCode>(["unavailable", "rate_limited"]);
const RETRY_AFTER_ERROR_MS = 1000;
/** Keeps a retry from landing just before the rate window ends. */
const RETRY_MARGIN_MS = 50;

/** How long to wait before re-sending what this refusal was about; null when it is final.
 * rate_limited says when its window ends; otherwise (unavailable) wait a second. */
export function retryable(frame: ErrorFrame): number | null {
  if (!RETRYABLE.has(frame.code)) return null;
  return frame.retry_after_ms === undefined ? RETRY_AFTER_ERROR_MS : frame.retry_after_ms + RETRY_MARGIN_MS;
}

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
    case "error": {
      if (frame.client_id === undefined) return { notice: frame.detail };
      const wait = retryable(frame);
      return wait === null
        ? { action: { type: "failed", clientId: frame.client_id, error: frame.detail } }
        : { action: { type: "delayed", clientId: frame.client_id, reason: frame.code, retryAt: now + wait } };
    }
    case "reaction":
      return {
        action: {
          type: "reacted",
          room: frame.room,
          target: frame.target,
          emoji: frame.emoji,
          user: frame.user,
          add: frame.action === "add",
        },
      };
    case "thread":
      return {
        action: {
          type: "threadChanged",
          room: frame.room,
          parent: frame.target,
          summary: { replies: frame.replies, lastRepliers: frame.last_repliers },
        },
      };
    case "topic":
      return { action: { type: "topicChanged", room: frame.room, id: frame.id, topic: frame.topic } };
    case "member":
      return {
        action: { type: "memberChanged", room: frame.room, id: frame.id, member: frame.member, action: frame.action },
      };
    case "left":
      return { action: { type: "roomLost", room: frame.room } };
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
