import { describe, expect, it } from "vitest";
import { frameOutcome } from "./frames";
import type { ChatMessage } from "../api/types";
import type { RoomInfo } from "../api/types";
import {
  chatReducer,
  initialState,
  mentionUnread,
  mergeMessages,
  typingUsers,
  unreadCount,
  TYPING_TTL_MS,
  type ChatAction,
  type ChatState,
  type RoomState,
} from "./state";

function msg(id: string, user = "bob", client_id = `c-${id}`, text = `text ${id}`): ChatMessage {
  return { id, room: "general", user, text, ts: 1000, client_id, seq: Number(id.split("-")[0]) };
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
      { id: "20-0", room: "general", user: "ann", text: "hello", ts: 5, client_id: "c1", seq: 0 },
    ]);
    // Only what the subscription delivered moves the resume point.
    expect(acked.rooms.general?.cursor).toBeUndefined();
    const broadcast = chatReducer(acked, { type: "received", message: msg("20-0", "ann", "c1", "hello") });
    expect(ids(broadcast)).toEqual(["20-0"]);
    expect(broadcast.rooms.general?.cursor).toBe("20-0");
    // The delivered copy brings the seq the ack lacks.
    expect(broadcast.rooms.general?.messages[0]?.seq).toBe(20);
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

  it("a message the server asked to wait for stays sending, with the reason and the retry time, until acked", () => {
    const delayed = run(queued, { type: "delayed", clientId: "c1", reason: "rate_limited", retryAt: 5000 });
    expect(delayed.pending[0]).toMatchObject({ state: "sending", delayed: { reason: "rate_limited", retryAt: 5000 } });
    expect(chatReducer(delayed, { type: "acked", clientId: "c1", id: "20-0", ts: 6000 }).pending).toEqual([]);
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

describe("edits and deletions", () => {
  const loaded: ChatAction = {
    type: "historyLoaded",
    room: "general",
    messages: [msg("1-0", "ann"), msg("2-0", "ann")],
    older: false,
    hasOlder: false,
  };
  const edit: ChatAction = { type: "edited", room: "general", id: "3-0", target: "1-0", text: "fixed", ts: 3000 };
  const del: ChatAction = { type: "deleted", room: "general", id: "4-0", target: "2-0" };
  const general = (state: ChatState) => state.rooms.general as RoomState;

  it("shows the new text with the edit's time, and the placeholder state for a deletion", () => {
    const state = run(loaded, edit, del);
    expect(general(state).messages).toEqual([
      { ...msg("1-0", "ann"), text: "fixed", edited_ts: 3000 },
      { ...msg("2-0", "ann"), text: "", deleted: true },
    ]);
  });

  it("resumes after the newest event, not only the newest message", () => {
    expect(general(run(loaded, edit, del)).cursor).toBe("4-0");
  });

  it("a replay of the same events changes nothing", () => {
    const once = run(loaded, edit, del);
    expect([edit, del, edit].reduce(chatReducer, once)).toBe(once);
  });

  it("an edit older than the text shown (history already folded a newer one) is skipped", () => {
    const newer = { ...msg("1-0", "ann"), text: "second", edited_ts: 5000 };
    const state = run({ ...loaded, messages: [newer] }, { ...edit, text: "first", ts: 4000 });
    expect(general(state).messages).toEqual([newer]);
  });

  it("a deleted message stays deleted, whatever edit comes after", () => {
    const state = run(loaded, del, { ...edit, target: "2-0", ts: 9000 });
    expect(general(state).messages[1]).toMatchObject({ text: "", deleted: true });
  });

  it("a change of a message not loaded moves only the cursor (history brings it folded in)", () => {
    const state = run(loaded, { ...edit, target: "0-5" });
    expect(general(state).messages).toEqual(general(run(loaded)).messages);
    expect(general(state).cursor).toBe("3-0");
  });

  it("my change shows as pending, is applied on its ack, and its broadcast then changes nothing", () => {
    const queued = run(loaded, {
      type: "changeQueued",
      change: { kind: "edit", clientId: "e1", room: "general", target: "1-0", text: "fixed" },
    });
    expect(queued.changes).toEqual([
      { kind: "edit", clientId: "e1", room: "general", target: "1-0", text: "fixed", state: "sending" },
    ]);
    expect(general(queued).messages[0]?.text).toBe("text 1-0");
    const acked = chatReducer(queued, { type: "acked", clientId: "e1", id: "3-0", ts: 3000 });
    expect(acked.changes).toEqual([]);
    expect(general(acked).messages[0]).toMatchObject({ text: "fixed", edited_ts: 3000 });
    expect(general(acked).cursor).toBe("2-0"); // only what the subscription delivered is seen
    const broadcast = chatReducer(acked, edit);
    expect(broadcast.rooms.general?.messages).toBe(general(acked).messages);
  });

  it("a refused change stays visible as failed until discarded", () => {
    const failed = run(
      loaded,
      { type: "changeQueued", change: { kind: "delete", clientId: "d1", room: "general", target: "1-0" } },
      { type: "failed", clientId: "d1", error: "not your message" },
    );
    expect(failed.changes[0]).toMatchObject({ state: "failed", error: "not your message" });
    expect(general(failed).messages[0]?.deleted).toBeUndefined();
    expect(chatReducer(failed, { type: "discarded", clientId: "d1" }).changes).toEqual([]);
  });
});

describe("unread counts and mention marks", () => {
  const random: RoomInfo = { name: "random", kind: "room", seq: 10, unread: 3, mentioned: false };
  const room = (state: ChatState, name = "random") => state.rooms[name] as RoomState;

  it("unread is the newest seq minus the read position, from the room list", () => {
    const state = run({ type: "listed", rooms: [random] });
    expect(room(state)).toMatchObject({ kind: "room", seq: 10, readSeq: 7 });
    expect(unreadCount(room(state))).toBe(3);
  });

  it("activity raises the newest seq; a read position (another tab's too) lowers unread", () => {
    const state = run(
      { type: "listed", rooms: [random] },
      { type: "activity", rooms: [{ room: "random", seq: 12 }] },
    );
    expect(unreadCount(room(state))).toBe(5);
    const read = chatReducer(state, { type: "read", room: "random", seq: 11 });
    expect(unreadCount(room(read))).toBe(1);
    expect(unreadCount(room(chatReducer(read, { type: "read", room: "random", seq: 40 })))).toBe(0);
  });

  it("positions only grow: stale activity, reads and listings change nothing", () => {
    const state = run({ type: "listed", rooms: [random] }, { type: "read", room: "random", seq: 9 });
    expect(chatReducer(state, { type: "read", room: "random", seq: 8 })).toBe(state);
    expect(chatReducer(state, { type: "activity", rooms: [{ room: "random", seq: 4 }] })).toBe(state);
    expect(chatReducer(state, { type: "listed", rooms: [{ ...random, seq: 9, unread: 9 }] })).toBe(state);
  });

  it("messages and history raise the newest seq", () => {
    const state = run(
      { type: "listed", rooms: [{ ...random, name: "general", seq: 1, unread: 0 }] },
      { type: "received", message: msg("2-0", "bob") },
      { type: "received", message: msg("3-0", "bob") },
    );
    expect(unreadCount(room(state, "general"))).toBe(2);
    const older = chatReducer(state, { type: "historyLoaded", room: "general", messages: [msg("1-0")], older: true, hasOlder: false });
    expect(room(older, "general").seq).toBe(3);
    const page = chatReducer(state, { type: "historyLoaded", room: "general", messages: [msg("5-0")], older: false, hasOlder: false });
    expect(unreadCount(room(page, "general"))).toBe(4);
  });

  it("a mention marks the room until it is read past", () => {
    const state = run(
      { type: "listed", rooms: [random] },
      { type: "mentioned", room: "random", seq: 11 },
    );
    expect(room(state).seq).toBe(11);
    expect(mentionUnread(room(state))).toBe(true);
    expect(mentionUnread(room(chatReducer(state, { type: "read", room: "random", seq: 10 })))).toBe(true);
    expect(mentionUnread(room(chatReducer(state, { type: "read", room: "random", seq: 11 })))).toBe(false);
  });

  it("the room list's mention mark lasts until its newest message is read", () => {
    const state = run({ type: "listed", rooms: [{ ...random, mentioned: true }] });
    expect(mentionUnread(room(state))).toBe(true);
    expect(mentionUnread(room(chatReducer(state, { type: "read", room: "random", seq: 10 })))).toBe(false);
  });

  it("a room frame lists a new room or DM with its members", () => {
    const dm: RoomInfo = { name: "dm:ann:bob", kind: "dm", members: ["ann", "bob"], seq: 0, unread: 0, mentioned: false };
    const state = run({ type: "listed", rooms: [dm] });
    expect(room(state, "dm:ann:bob")).toMatchObject({ kind: "dm", members: ["ann", "bob"], seq: 0 });
    expect(chatReducer(state, { type: "listed", rooms: [dm] })).toBe(state);
  });
});

const reaction = (user: string, emoji: string, action: "add" | "remove", id: string) =>
  ({ type: "reaction", room: "general", id, target: "1-0", emoji, user, action, ts: 1 }) as const;

describe("reactions in the chat state", () => {
  it("follows reaction frames, live or replayed twice, and the server's list replaces them", () => {
    const frames = [
      reaction("bob", "👍", "add", "2-0"),
      reaction("ann", "👍", "add", "3-0"),
      reaction("ann", "👍", "add", "3-0"), // a replay after `since` repeats nothing
      reaction("bob", "🎉", "add", "4-0"),
      reaction("bob", "🎉", "remove", "5-0"),
    ];
    const actions = frames.map((frame) => {
      const outcome = frameOutcome(frame, 0);
      if (!outcome || !("action" in outcome)) throw new Error("no action");
      return outcome.action;
    });
    const state = actions.reduce(chatReducer, initialState("ann"));
    expect(state.rooms.general?.reactions).toEqual({ "1-0": [{ emoji: "👍", count: 2, users: ["bob", "ann"] }] });
    const listed = chatReducer(state, { type: "reactionsListed", room: "general", ids: ["1-0"], listed: [] });
    expect(listed.rooms.general?.reactions).toEqual({});
  });
});

describe("threads in the chat state", () => {
  const parent: ChatMessage = { id: "1-0", room: "general", user: "bob", text: "q", ts: 1, client_id: "c1", seq: 1 };
  const reply = (id: string, seq: number, inRoom = false): ChatMessage => ({
    id,
    room: "general",
    user: "cat",
    text: `reply ${id}`,
    ts: 2,
    client_id: `c${id}`,
    seq,
    thread: "1-0",
    ...(inRoom && { in_room: true }),
  });

  it("keeps replies in their thread, and in the timeline too only those sent to the room", () => {
    let state = chatReducer(initialState("ann"), { type: "received", message: parent });
    state = chatReducer(state, { type: "received", message: reply("2-0", 2) });
    state = chatReducer(state, { type: "received", message: reply("3-0", 3, true) });
    state = chatReducer(state, { type: "threadLoaded", room: "general", parent: "1-0", replies: [reply("2-0", 2)] });
    const room = state.rooms.general!;
    expect(room.messages.map((m) => m.id)).toEqual(["1-0", "3-0"]);
    expect(room.replies["1-0"]!.map((m) => m.id)).toEqual(["2-0", "3-0"]);
    expect(room.seq).toBe(3); // replies count as messages: unread, seq
  });

  it("takes the reply count and last repliers from thread frames", () => {
    const outcome = frameOutcome(
      { type: "thread", room: "general", id: "4-0", target: "1-0", replies: 2, last_repliers: ["cat", "dan"], user: "dan", ts: 3 },
      0,
    );
    if (!outcome || !("action" in outcome)) throw new Error("no action");
    const state = chatReducer(initialState("ann"), outcome.action);
    expect(state.rooms.general?.threads).toEqual({ "1-0": { replies: 2, lastRepliers: ["cat", "dan"] } });
  });
});

describe("topics and membership in the chat state", () => {
  const listed = (extra: Partial<RoomInfo>) =>
    chatReducer(initialState("ann"), {
      type: "listed",
      rooms: [{ name: "board", kind: "room", seq: 0, unread: 0, mentioned: false, ...extra }],
    });

  it("takes privacy, membership and topic from the room list, and topic frames after", () => {
    const state = listed({ private: true, joined: true, topic: "plans" });
    expect(state.rooms.board).toMatchObject({ private: true, joined: true, topic: "plans" });
    const changed = chatReducer(state, { type: "topicChanged", room: "board", id: "5-0", topic: "" });
    expect(changed.rooms.board).toMatchObject({ topic: "", cursor: "5-0" });
  });

  it("counts membership changes and follows my own joining and leaving", () => {
    let state = listed({});
    state = chatReducer(state, { type: "memberChanged", room: "board", id: "1-0", member: "ann", action: "join" });
    expect(state.rooms.board).toMatchObject({ joined: true, memberChanges: 1, cursor: "1-0" });
    state = chatReducer(state, { type: "memberChanged", room: "board", member: "bob", action: "add" });
    expect(state.rooms.board).toMatchObject({ joined: true, memberChanges: 2 });
    state = chatReducer(state, { type: "memberChanged", room: "board", member: "ann", action: "leave" });
    expect(state.rooms.board).toMatchObject({ joined: false, memberChanges: 3 });
  });

  it("forgets a room I lost (left or removed from a private one)", () => {
    const state = chatReducer(listed({ private: true, joined: true }), { type: "roomLost", room: "board" });
    expect(state.rooms.board).toBeUndefined();
    expect(chatReducer(state, { type: "roomLost", room: "board" })).toBe(state);
  });
});
