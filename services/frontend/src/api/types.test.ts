import { describe, expect, it } from "vitest";
import { protocolSchema, type ServerFrame } from "./protocol";
import type { JsonSchema } from "./schema";
import { compareIds, parseServerFrame } from "./types";

const message = {
  id: "1-0",
  room: "general",
  user: "ann",
  text: "hi",
  ts: 1,
  client_id: "c1",
  seq: 1,
  edited_ts: 2,
  deleted: true,
};
const dm = { name: "dm:ann:bob", kind: "dm" as const, members: ["ann", "bob"], seq: 3, unread: 1, mentioned: true };

/** One frame of each server type, with every optional field set. */
const FRAMES: ServerFrame[] = [
  { type: "ack", client_id: "c1", id: "1700000000000-0", ts: 1_700_000_000_000 },
  { type: "message", message },
  { type: "edit", room: "general", id: "2-0", target: "1-0", text: "fixed", ts: 2, user: "ann" },
  { type: "delete", room: "general", id: "3-0", target: "1-0", ts: 3, user: "ann" },
  { type: "room", room: dm },
  { type: "activity", rooms: [{ room: "dm:ann:bob", seq: 3 }] },
  { type: "mention", room: "dm:ann:bob", seq: 3, user: "bob", id: "4-0" },
  { type: "read", room: "dm:ann:bob", seq: 3 },
  { type: "presence", room: "general", users: ["a", "b"] },
  { type: "typing", room: "general", user: "ann" },
  { type: "topic", room: "general", id: "5-0", topic: "plans", ts: 5, user: "ann" },
  { type: "member", room: "general", id: "6-0", action: "add", member: "bob", ts: 6, user: "ann" },
  { type: "left", room: "design" },
  { type: "thread", room: "general", id: "8-0", target: "1-0", replies: 2, last_repliers: ["ann", "bob"], ts: 8, user: "bob" },
  { type: "reaction", room: "general", id: "7-0", target: "1-0", emoji: "👍", action: "add", ts: 7, user: "bob" },
  { type: "pong" },
  { type: "error", code: "rate_limited", detail: "d", client_id: "c1", retry_after_ms: 300 },
];

const defs: Readonly<Record<string, JsonSchema>> = protocolSchema.$defs;
/** Each server frame type's schema, by reference. */
const mapping: Readonly<Record<string, string>> = protocolSchema.$defs.ServerFrame.discriminator.mapping;

function requiredFields(type: string): readonly string[] {
  return defs[mapping[type]?.replace("#/$defs/", "") ?? ""]?.required ?? [];
}

function without(record: object, field: string): object {
  return Object.fromEntries(Object.entries(record).filter(([key]) => key !== field));
}

describe("parseServerFrame", () => {
  it("has a frame of every type the schema defines", () => {
    expect(FRAMES.map((frame) => frame.type).sort()).toEqual(Object.keys(mapping).sort());
  });

  it("accepts every server frame", () => {
    for (const frame of FRAMES) expect(parseServerFrame(JSON.stringify(frame))).toEqual(frame);
  });

  it("accepts an error frame without its optional fields", () => {
    const frame = { type: "error", code: "unknown_room", detail: "d" };
    expect(parseServerFrame(JSON.stringify(frame))).toEqual(frame);
  });

  it("accepts an error code a newer server added, so the refusal still reaches the message", () => {
    const frame = { type: "error", code: "some_new_code", detail: "d", client_id: "c1" };
    expect(parseServerFrame(JSON.stringify(frame))).toEqual(frame);
  });

  it("drops a frame missing its type or any field the schema requires", () => {
    for (const frame of FRAMES) {
      for (const field of ["type", ...requiredFields(frame.type)]) {
        expect(parseServerFrame(JSON.stringify(without(frame, field))), `${frame.type} without ${field}`).toBeNull();
      }
    }
    for (const field of defs.Message?.required ?? []) {
      expect(parseServerFrame(JSON.stringify({ type: "message", message: without(message, field) })), field).toBeNull();
    }
  });

  it("drops anything else that is not a well-formed frame", () => {
    for (const raw of [
      "not json",
      "[]",
      "null",
      "{}",
      '{"type":"bogus"}',
      '{"type":"ack","client_id":1,"id":"1-0","ts":1}',
      '{"type":"ack","client_id":"c1","id":"not an id","ts":1}',
      '{"type":"ack","client_id":"c1","id":"1-0","ts":1.5}',
      '{"type":"message","message":{"id":"1-0","text":"no user"}}',
      '{"type":"presence","room":"general","users":[1]}',
      '{"type":"error","code":7,"detail":"d"}',
      '{"type":"error","code":"rate_limited","detail":"d","retry_after_ms":"300"}',
      '{"type":"error","code":"too_long","detail":"d","client_id":null}',
    ]) {
      expect(parseServerFrame(raw), raw).toBeNull();
    }
  });

  it("lets fields it does not know through", () => {
    expect(parseServerFrame('{"type":"pong","later":true}')).toEqual({ type: "pong", later: true });
  });
});

describe("compareIds", () => {
  it("orders stream ids numerically, not as strings", () => {
    expect(["10-0", "9-1", "9-0", "10-2"].sort(compareIds)).toEqual(["9-0", "9-1", "10-0", "10-2"]);
    expect(compareIds("5-3", "5-3")).toBe(0);
  });
});
