import { describe, expect, it } from "vitest";
import { compareIds, parseServerFrame } from "./types";

describe("parseServerFrame", () => {
  it("accepts the contract's frames", () => {
    const message = { id: "1-0", room: "general", user: "ann", text: "hi", ts: 1, client_id: "c1" };
    expect(parseServerFrame(JSON.stringify({ type: "message", message }))).toEqual({ type: "message", message });
    expect(parseServerFrame('{"type":"ack","client_id":"c1","id":"1-0"}')).toEqual({
      type: "ack",
      client_id: "c1",
      id: "1-0",
    });
    expect(parseServerFrame('{"type":"error","code":"too_long","detail":"d","client_id":"c"}')).toEqual({
      type: "error",
      code: "too_long",
      detail: "d",
      client_id: "c",
    });
    expect(parseServerFrame('{"type":"presence","room":"general","users":["a","b"]}')).toEqual({
      type: "presence",
      room: "general",
      users: ["a", "b"],
    });
  });

  it("drops anything that is not a well-formed frame", () => {
    for (const raw of [
      "not json",
      "[]",
      "null",
      '{"type":"bogus"}',
      '{"type":"ack","client_id":1,"id":"1-0"}',
      '{"type":"message","message":{"id":"1-0","text":"no user"}}',
      '{"type":"presence","room":"general","users":[1]}',
    ]) {
      expect(parseServerFrame(raw)).toBeNull();
    }
  });
});

describe("compareIds", () => {
  it("orders stream ids numerically, not as strings", () => {
    expect(["10-0", "9-1", "9-0", "10-2"].sort(compareIds)).toEqual(["9-0", "9-1", "10-0", "10-2"]);
    expect(compareIds("5-3", "5-3")).toBe(0);
  });
});
