import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../api/types";
import { chatReducer, initialState, mergeMessages, typingUsers, TYPING_TTL_MS, type ChatAction, type ChatState } from "./state";

function msg(id: string, user = "bob", client_id = `c-${id}`, text = `text ${id}`): ChatMessage {
  return { id, room: "general", user, text, ts: 1000, client_id };
}

function run(...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, initialState("ann"));
}

const ids = (state: ChatState) => state.rooms.general?.messages.map((m) => m.id);

describe("messages", () => {
  it("keeps each id once, in id order, however often and in whatever order it arrives", () => {
    const state = run(
      { type: "historyLoaded", room: "general", messages: [msg("10-0"), msg("11-0")], older: false, hasOlder: false },
      { type: "received", message: msg("12-0") },
      { type: "received", message: msg("11-0") }, // replayed after a reconnect
      { type: "received", message: msg("9-5") },
      { type: "received", message: msg("12-0") },
    );
    expect(ids(state)).toEqual(["9-5", "10-0", "11-0", "12-0"]);
  });

  it("mergeMessages returns the same array when nothing is new (no needless re-render)", () => {
    const existing = [msg("1-0"), msg("2-0")];
    expect(mergeMessages(existing, [msg("2-0")])).toBe(existing);
  });

  it("moves the cursor to the highest id the server delivered", () => {
    const state = run(
      { type: "historyLoaded", room: "general", messages: [msg("5-0"), msg("7-0")], older: false, hasOlder: true },
      { type: "received", message: msg("8-0") },
      { type: "historyLoaded", room: "general", messages: [msg("1-0"), msg("2-0")], older: true, hasOlder: false },
    );
    expect(state.rooms.general?.cursor).toBe("8-0");
    expect(state.rooms.general?.hasOlder).toBe(false);
    expect(ids(state)).toEqual(["1-0", "2-0", "5-0", "7-0", "8-0"]);
  });

  it("a refresh of the newest page keeps what scrolling up found out", () => {
    const state = run(
      { type: "historyLoaded", room: "general", messages: [msg("5-0")], older: false, hasOlder: true },
      { type: "historyLoaded", room: "general", messages: [msg("1-0")], older: true, hasOlder: false },
      { type: "historyLoaded", room: "general", messages: [msg("5-0")], older: false, hasOlder: true },
    );
    expect(state.rooms.general?.hasOlder).toBe(false);
  });
});

describe("optimistic send", () => {
  const queued: ChatAction = { type: "queued", clientId: "c1", room: "general", text: "hello" };

  it("shows a queued message as pending, once, until its ack", () => {
    const state = run(queued, queued);
    expect(state.pending).toEqual([{ clientId: "c1", room: "general", text: "hello", state: "sending" }]);
    expect(state.rooms.general).toBeUndefined();
  });

  it("ack first: the message is shown under its id and the later broadcast is a duplicate", () => {
    const acked = run(queued, { type: "acked", clientId: "c1", id: "20-0", ts: 5 });
    expect(acked.pending).toEqual([]);
    expect(acked.rooms.general?.messages).toEqual([
      { id: "20-0", room: "general", user: "ann", text: "hello", ts: 5, client_id: "c1" },
    ]);
    // Only what the subscription delivered moves the resume point.
    expect(acked.rooms.general?.cursor).toBeUndefined();
    const broadcast = chatReducer(acked, { type: "received", message: msg("20-0", "ann", "c1", "hello") });
    expect(ids(broadcast)).toEqual(["20-0"]);
    expect(broadcast.rooms.general?.cursor).toBe("20-0");
  });

  it("broadcast first: the pending copy is replaced and the late ack changes nothing", () => {
    const received = run(queued, { type: "received", message: msg("20-0", "ann", "c1", "hello") });
    expect(received.pending).toEqual([]);
    const late = chatReducer(received, { type: "acked", clientId: "c1", id: "20-0", ts: 5 });
    expect(late).toBe(received);
    expect(ids(late)).toEqual(["20-0"]);
  });

  it("history that already holds a re-sent message clears its pending copy", () => {
    const state = run(queued, {
      type: "historyLoaded",
      room: "general",
      messages: [msg("20-0", "ann", "c1", "hello")],
      older: false,
      hasOlder: false,
    });
    expect(state.pending).toEqual([]);
    expect(ids(state)).toEqual(["20-0"]);
  });

  it("another user's message with the same client_id does not clear ours", () => {
    const state = run(queued, { type: "received", message: msg("20-0", "mallory", "c1", "spoof") });
    expect(state.pending).toHaveLength(1);
  });

  it("a refused message stays visible as failed until discarded", () => {
    const failed = run(queued, { type: "failed", clientId: "c1", error: "'text' is longer than 4000 characters" });
    expect(failed.pending[0]).toMatchObject({ state: "failed", error: "'text' is longer than 4000 characters" });
    expect(chatReducer(failed, { type: "discarded", clientId: "c1" }).pending).toEqual([]);
  });
});

describe("presence, typing and status", () => {
  it("stores who is online, sorted", () => {
    const state = run({ type: "presence", room: "general", users: ["zoe", "ann", "bob"] });
    expect(state.rooms.general?.users).toEqual(["ann", "bob", "zoe"]);
  });

  it("shows typing for others only, until they send or go quiet", () => {
    const typing = run(
      { type: "typing", room: "general", user: "ann", at: 0 },
      { type: "typing", room: "general", user: "bob", at: 0 },
      { type: "typing", room: "general", user: "cat", at: 1000 },
    );
    expect(typingUsers(typing.rooms.general)).toEqual(["bob", "cat"]);
    const sent = chatReducer(typing, { type: "received", message: msg("1-0", "bob") });
    expect(typingUsers(sent.rooms.general)).toEqual(["cat"]);
    const quiet = chatReducer(sent, { type: "typingExpired", now: 1000 + TYPING_TTL_MS });
    expect(typingUsers(quiet.rooms.general)).toEqual([]);
    expect(chatReducer(quiet, { type: "typingExpired", now: 99_999 })).toBe(quiet);
  });

  it("tracks the connection state", () => {
    expect(run().status).toBe("connecting");
    expect(run({ type: "status", status: "reconnecting" }).status).toBe("reconnecting");
  });
});
