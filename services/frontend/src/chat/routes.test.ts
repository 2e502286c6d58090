import { describe, expect, it } from "vitest";
import { dmPath, parseRoute, pathOf, roomPath, routeRoom, threadPath } from "./routes";
import type { RoomState } from "./state";

const dm = { kind: "dm", members: ["ann", "bob"] } as RoomState;

describe("routes", () => {
  it("reads rooms, DMs and the front page from the address, and nothing else", () => {
    expect(parseRoute("/")).toEqual({ kind: "room", name: "general" });
    expect(parseRoute("/r/random")).toEqual({ kind: "room", name: "random" });
    expect(parseRoute("/dm/bob")).toEqual({ kind: "dm", user: "bob" });
    expect(parseRoute(roomPath("a b"))).toEqual({ kind: "room", name: "a b" });
    for (const path of ["/r/", "/r/a/b", "/dm/", "/rooms", "/r/%E0%A4%A"]) {
      expect(parseRoute(path)).toEqual({ kind: "unknown", path });
    }
  });

  it("names a DM by its other member, and finds it by that member", () => {
    expect(pathOf("dm:ann:bob", dm, "ann")).toBe(dmPath("bob"));
    expect(pathOf("random", undefined, "ann")).toBe("/r/random");
    expect(routeRoom({ kind: "dm", user: "bob" }, { "dm:ann:bob": dm }, "ann")).toBe("dm:ann:bob");
    expect(routeRoom({ kind: "dm", user: "cat" }, { "dm:ann:bob": dm }, "ann")).toBeNull();
  });

  it("reads a thread's address after its conversation's, and nothing but a message id as one", () => {
    expect(parseRoute(threadPath(roomPath("random"), "17-0"))).toEqual({ kind: "room", name: "random", thread: "17-0" });
    expect(parseRoute(threadPath(dmPath("bob"), "1-2"))).toEqual({ kind: "dm", user: "bob", thread: "1-2" });
    for (const path of ["/r/random/thread/", "/r/random/thread/x", "/r/random/thread/1-0/2", "/thread/1-0"]) {
      expect(parseRoute(path)).toEqual({ kind: "unknown", path });
    }
  });

  it("gives a group DM its room name as address, which no single member's address finds", () => {
    const group = { kind: "dm", members: ["ann", "bob", "cat"] } as RoomState;
    expect(pathOf("dm:ann:bob:cat", group, "ann")).toBe("/r/dm:ann:bob:cat");
    expect(parseRoute("/r/dm:ann:bob:cat")).toEqual({ kind: "room", name: "dm:ann:bob:cat" });
    expect(routeRoom({ kind: "dm", user: "bob" }, { "dm:ann:bob:cat": group }, "ann")).toBeNull();
  });
});
