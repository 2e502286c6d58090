import { describe, expect, it } from "vitest";
import type { RoomInfo } from "../api/types";
import { entryName, roomEntries } from "./rooms";
import { chatReducer, initialState } from "./state";

const info = (name: string, extra: Partial<RoomInfo> = {}): RoomInfo => ({
  name,
  kind: "room",
  seq: 0,
  unread: 0,
  mentioned: false,
  ...extra,
});

describe("roomEntries", () => {
  it("lists rooms by name, then DMs by the other member's name, with unread counts and mention marks", () => {
    const state = chatReducer(initialState("bob"), {
      type: "listed",
      rooms: [
        info("random", { seq: 5, unread: 3, mentioned: true }),
        info("dm:bob:zoe", { kind: "dm", members: ["bob", "zoe"], seq: 1, unread: 1 }),
        info("general"),
        info("dm:ann:bob", { kind: "dm", members: ["ann", "bob"] }),
      ],
    });
    expect(roomEntries(state).map(entryName)).toEqual([
      "# general",
      "# random, 3 unread, mention",
      "ann",
      "zoe, 1 unread",
    ]);
  });

  it("marks private rooms and names a group DM by all its other members", () => {
    const state = chatReducer(initialState("bob"), {
      type: "listed",
      rooms: [
        info("board", { private: true, joined: true, unread: 2, seq: 2 }),
        info("dm:ann:bob:cat", { kind: "dm", members: ["ann", "bob", "cat"] }),
      ],
    });
    expect(roomEntries(state).map(entryName)).toEqual(["# board, private, 2 unread", "ann, cat"]);
  });

  it("leaves out rooms the server has not listed", () => {
    const state = chatReducer(initialState("bob"), { type: "presence", room: "general", users: ["bob"] });
    expect(roomEntries(state)).toEqual([]);
  });
});
