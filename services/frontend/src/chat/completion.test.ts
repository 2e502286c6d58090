import { describe, expect, it } from "vitest";
import { complete, matchNames, tokenAt } from "./completion";
import { knownMembers } from "./members";
import { chatReducer, initialState } from "./state";

describe("completion", () => {
  it("finds @name at the caret from the @ on, and :shortcode from 2 letters on", () => {
    expect(tokenAt("hi @", 4)).toEqual({ kind: "mention", query: "", start: 3, end: 4 });
    expect(tokenAt("hi @bo", 6)).toEqual({ kind: "mention", query: "bo", start: 3, end: 6 });
    expect(tokenAt("ann@ex", 6)).toBeNull(); // an e-mail address
    expect(tokenAt("nice :t", 7)).toBeNull();
    expect(tokenAt("nice :ta", 8)).toEqual({ kind: "emoji", query: "ta", start: 5, end: 8 });
    expect(tokenAt("at 10:30", 8)).toBeNull(); // a time, not a shortcode
    expect(tokenAt("@bob said", 9)).toBeNull();
  });

  it("replaces the token with the choice and a space, keeping what follows", () => {
    const token = tokenAt("hi @bo and more", 6);
    expect(token && complete("hi @bo and more", token, "@bob_2")).toEqual({ text: "hi @bob_2 and more", caret: 10 });
    const end = tokenAt("yay :ta", 7);
    expect(end && complete("yay :ta", end, "🎉")).toEqual({ text: "yay 🎉 ", caret: 7 });
  });

  it("matches names by prefix first, then anywhere", () => {
    expect(matchNames(["robo", "bob", "Bobby", "ann"], "bo")).toEqual(["bob", "Bobby", "robo"]);
  });

  it("offers a room's members: DM members, who is online and recent senders, not me", () => {
    let state = initialState("ann");
    state = chatReducer(state, { type: "presence", room: "general", users: ["ann", "cat"] });
    const message = (id: string, user: string) => ({ id, room: "general", user, text: "x", ts: 1, client_id: id, seq: 1 });
    state = chatReducer(state, {
      type: "historyLoaded",
      room: "general",
      messages: [message("1-0", "dan"), message("2-0", "bob"), message("3-0", "ann")],
      older: false,
      hasOlder: false,
    });
    expect(knownMembers(state, "general")).toEqual(["cat", "bob", "dan"]);
    expect(knownMembers(state, "nowhere")).toEqual([]);
  });
});
