/** The WebSocket protocol (docs/protocol.md), as generated from its schema into ./protocol. */
import { protocolSchema, type ServerFrame } from "./protocol";
import { matches } from "./schema";

export type {
  ClientFrame,
  ErrorCode,
  Message as ChatMessage,
  RoomInfo,
  SearchHit,
  ServerFrame,
  SnippetPart,
} from "./protocol";

const SERVER_FRAME = { $ref: "#/$defs/ServerFrame" };

/** Parses one WebSocket frame; anything the schema does not allow is dropped (null). */
export function parseServerFrame(raw: string): ServerFrame | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  return matches(data, SERVER_FRAME, protocolSchema) ? (data as ServerFrame) : null;
}

/** Stream ids are "<ms>-<seq>"; compares them numerically (string order is wrong for "9-0" vs "10-0"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}
