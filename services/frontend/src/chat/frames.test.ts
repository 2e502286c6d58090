import { describe, expect, it } from "vitest";
import { frameOutcome, newClientId } from "./frames";

describe("frameOutcome", () => {
  it("turns an ack into the stored message's id and time, the server's and not the local clock", () => {
    expect(frameOutcome({ type: "ack", client_id: "c1", id: "3-0", ts: 1_700_000_000_123 }, 42)).toEqual({
      action: { type: "acked", clientId: "c1", id: "3-0", ts: 1_700_000_000_123 },
    });
  });

  it("ties a refusal to its message, and shows other errors as a notice", () => {
    expect(frameOutcome({ type: "error", code: "too_long", detail: "too long", client_id: "c1" }, 0)).toEqual({
      action: { type: "failed", clientId: "c1", error: "too long" },
    });
    expect(frameOutcome({ type: "error", code: "unknown_room", detail: "no such room" }, 0)).toEqual({
      notice: "no such room",
    });
  });

  it("tells a refusal that will be retried by itself, and when, from retry_after_ms", () => {
    const limited = { type: "error", code: "rate_limited", detail: "too many messages; retry in 9 ms", client_id: "c1" } as const;
    expect(frameOutcome({ ...limited, retry_after_ms: 2450 }, 1000)).toEqual({
      action: { type: "delayed", clientId: "c1", reason: "rate_limited", retryAt: 1000 + 2450 + 50 },
    });
    expect(frameOutcome({ type: "error", code: "unavailable", detail: "down", client_id: "c2" }, 0)).toEqual({
      action: { type: "delayed", clientId: "c2", reason: "unavailable", retryAt: 1000 },
    });
  });

  it("turns edits, deletions, room, activity, mention and read frames into their actions", () => {
    const room = { name: "random", kind: "room" as const, seq: 0, unread: 0, mentioned: false };
    expect(
      [
        frameOutcome({ type: "edit", room: "general", id: "4-0", target: "1-0", text: "t", ts: 4, user: "ann" }, 0),
        frameOutcome({ type: "delete", room: "general", id: "5-0", target: "1-0", ts: 5, user: "ann" }, 0),
        frameOutcome({ type: "room", room }, 0),
        frameOutcome({ type: "activity", rooms: [{ room: "random", seq: 3 }] }, 0),
        frameOutcome({ type: "mention", room: "random", seq: 3, user: "bob", id: "7-0" }, 0),
        frameOutcome({ type: "read", room: "random", seq: 3 }, 0),
      ],
    ).toEqual([
      { action: { type: "edited", room: "general", id: "4-0", target: "1-0", text: "t", ts: 4 } },
      { action: { type: "deleted", room: "general", id: "5-0", target: "1-0" } },
      { action: { type: "listed", rooms: [room] } },
      { action: { type: "activity", rooms: [{ room: "random", seq: 3 }] } },
      { action: { type: "mentioned", room: "random", seq: 3 } },
      { action: { type: "read", room: "random", seq: 3 } },
    ]);
  });

  it("turns topic, member and left frames into their actions", () => {
    expect([
      frameOutcome({ type: "topic", room: "board", id: "8-0", topic: "plans", ts: 8, user: "ann" }, 0),
      frameOutcome(
        { type: "member", room: "board", id: "9-0", action: "add", member: "bob", ts: 9, user: "ann" },
        0,
      ),
      frameOutcome({ type: "left", room: "board" }, 0),
    ]).toEqual([
      { action: { type: "topicChanged", room: "board", id: "8-0", topic: "plans" } },
      { action: { type: "memberChanged", room: "board", id: "9-0", member: "bob", action: "add" } },
      { action: { type: "roomLost", room: "board" } },
    ]);
  });

  it("ignores pongs", () => {
    expect(frameOutcome({ type: "pong" }, 0)).toBeNull();
  });
});

describe("newClientId", () => {
  it("is 32 hex characters (the server allows up to 64) and never repeats", () => {
    const ids = Array.from({ length: 1000 }, newClientId);
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(1000);
  });
});
