/**
 * The delivery promise end to end, in memory: the real connection and reducer against a
 * small server that behaves like the backend (stores a client_id once, keeps messages, edits
 * and deletions in one stream, replays it after `since`, broadcasts to subscribers), with
 * connections dropped at the worst moments.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, ClientFrame, ServerFrame } from "../api/types";
import { compareIds } from "../api/types";
import { FakeSocket, SocketFactory } from "../testing/fakeSocket";
import { ChatConnection } from "./connection";
import { frameOutcome } from "./frames";
import { chatReducer, initialState, type ChatState } from "./state";

type Entry = Extract<ServerFrame, { type: "message" | "edit" | "delete" }>;
const entryId = (entry: Entry) => (entry.type === "message" ? entry.message.id : entry.id);

class FakeServer {
  /** The room's stream: messages and the events that changed them, in id order. */
  readonly stream: Entry[] = [];
  private seq = 0;
  private readonly acks = new Map<string, { id: string; ts: number }>();
  private readonly subscribers = new Map<FakeSocket, string>();
  private readonly handled = new Map<FakeSocket, number>();
  /** When set, a matching message or edit is stored but the socket dies before the ack. */
  crashAfterStoring: ((text: string) => boolean) | null = null;

  /** The messages as history shows them: edits and deletions folded in. */
  get stored(): ChatMessage[] {
    const messages = new Map<string, ChatMessage>();
    for (const entry of this.stream) {
      const target = entry.type === "message" ? undefined : messages.get(entry.target);
      if (entry.type === "message") messages.set(entry.message.id, entry.message);
      else if (target && entry.type === "edit") messages.set(target.id, { ...target, text: entry.text, edited_ts: entry.ts });
      else if (target) messages.set(target.id, { ...target, text: "", deleted: true });
    }
    return [...messages.values()];
  }

  /** Answers every frame the clients sent since the last call. */
  pump(sockets: Array<[FakeSocket, string]>): void {
    for (const [socket, user] of sockets) {
      const from = this.handled.get(socket) ?? 0;
      const frames = socket.sent.slice(from);
      this.handled.set(socket, socket.sent.length);
      for (const frame of frames) {
        if (socket.readyState === 1) this.handle(socket, user, frame);
      }
    }
  }

  drop(socket: FakeSocket): void {
    this.subscribers.delete(socket);
    socket.drop();
  }

  private handle(socket: FakeSocket, user: string, frame: ClientFrame): void {
    if (frame.type === "subscribe") {
      this.subscribers.set(socket, frame.room);
      const after = frame.since;
      if (after != null) {
        for (const entry of this.stream.filter((e) => compareIds(entryId(e), after) > 0)) socket.receive(entry);
      }
    } else if (frame.type === "message" || frame.type === "edit" || frame.type === "delete") {
      let ack = this.acks.get(frame.client_id);
      if (ack === undefined) {
        const n = this.stream.length + 1;
        ack = { id: `${1000 + n}-0`, ts: n };
        const entry: Entry =
          frame.type === "message"
            ? {
                type: "message",
                message: { ...ack, room: frame.room, user, text: frame.text, client_id: frame.client_id, seq: ++this.seq },
              }
            : frame.type === "edit"
              ? { type: "edit", ...ack, room: frame.room, target: frame.id, text: frame.text, user }
              : { type: "delete", ...ack, room: frame.room, target: frame.id, user };
        this.stream.push(entry);
        this.acks.set(frame.client_id, ack);
        for (const [sub, room] of this.subscribers) {
          if (room === frame.room && sub !== socket) sub.receive(entry);
        }
        if (frame.type !== "delete" && this.crashAfterStoring?.(frame.text)) {
          this.drop(socket);
          return;
        }
        socket.receive(entry);
      }
      socket.receive({ type: "ack", client_id: frame.client_id, ...ack });
    }
  }
}

class Client {
  state: ChatState;
  readonly factory = new SocketFactory();
  readonly connection: ChatConnection;

  constructor(readonly user: string) {
    this.state = initialState(user);
    this.connection = new ChatConnection({
      url: "ws://chat.test/api/ws",
      createSocket: this.factory.create,
      sinceFor: (room) => this.state.rooms[room]?.cursor ?? "0-0",
      onFrame: (frame) => {
        const outcome = frameOutcome(frame, 0);
        if (outcome && "action" in outcome) this.state = chatReducer(this.state, outcome.action);
      },
      onStatus: (status) => (this.state = chatReducer(this.state, { type: "status", status })),
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 400 },
    });
    this.connection.start();
    this.connection.subscribe("general");
  }

  send(text: string, clientId: string): void {
    this.state = chatReducer(this.state, { type: "queued", clientId, room: "general", text });
    this.connection.send("general", text, clientId);
  }

  edit(id: string, text: string, clientId: string): void {
    this.state = chatReducer(this.state, {
      type: "changeQueued",
      change: { kind: "edit", clientId, room: "general", target: id, text },
    });
    this.connection.edit("general", id, text, clientId);
  }

  remove(id: string, clientId: string): void {
    this.state = chatReducer(this.state, { type: "changeQueued", change: { kind: "delete", clientId, room: "general", target: id } });
    this.connection.remove("general", id, clientId);
  }

  messages(): ChatMessage[] {
    return this.state.rooms.general?.messages ?? [];
  }

  texts(): string[] {
    return this.messages().map((m) => m.text);
  }
}

let server: FakeServer;
let ann: Client;
let bob: Client;
const live = (): Array<[FakeSocket, string]> => [
  [ann.factory.last, "ann"],
  [bob.factory.last, "bob"],
];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  ann = new Client("ann");
  bob = new Client("bob");
  ann.factory.last.open();
  bob.factory.last.open();
  server.pump(live());
});

afterEach(() => {
  ann.connection.stop();
  bob.connection.stop();
  vi.useRealTimers();
});

describe("delivery across dropped connections", () => {
  it("a message stored just before the connection died is shown once, not twice", () => {
    ann.send("one", "a1");
    server.pump(live());
    server.crashAfterStoring = (text) => text === "two";
    ann.send("two", "a2");
    server.pump(live());
    server.crashAfterStoring = null;
    expect(ann.state.pending.map((p) => p.text)).toEqual(["two"]);
    expect(ann.state.status).toBe("reconnecting");

    bob.send("while ann was away", "b1");
    server.pump(live());

    vi.advanceTimersByTime(100);
    ann.factory.last.open(); // re-subscribes with since, re-sends "two" with client_id a2
    server.pump(live());

    const everything = ["one", "two", "while ann was away"];
    expect(server.stored.map((m) => m.text)).toEqual(everything);
    expect(ann.texts()).toEqual(everything);
    expect(bob.texts()).toEqual(everything);
    expect(ann.state.pending).toEqual([]);
    expect(bob.state.pending).toEqual([]);
  });

  it("messages typed while offline are sent in order after the reconnect", () => {
    server.drop(ann.factory.last);
    ann.send("first", "a1");
    ann.send("second", "a2");
    expect(ann.state.pending.map((p) => p.state)).toEqual(["sending", "sending"]);
    vi.advanceTimersByTime(100);
    ann.factory.last.open();
    server.pump(live());
    expect(server.stored.map((m) => m.text)).toEqual(["first", "second"]);
    expect(ann.texts()).toEqual(["first", "second"]);
    expect(bob.texts()).toEqual(["first", "second"]);
    expect(ann.state.pending).toEqual([]);
  });

  it("both sides dropping and coming back repeatedly still end with every message exactly once", () => {
    const sent: string[] = [];
    for (let round = 0; round < 5; round++) {
      ann.send(`ann ${round}`, `a${round}`);
      bob.send(`bob ${round}`, `b${round}`);
      sent.push(`ann ${round}`, `bob ${round}`);
      if (round % 2 === 0) server.crashAfterStoring = () => true;
      server.pump(live());
      server.crashAfterStoring = null;
      vi.advanceTimersByTime(1000);
      for (const client of [ann, bob]) {
        if (client.factory.last.readyState === 0) client.factory.last.open();
      }
      server.pump(live());
    }
    expect([...server.stored.map((m) => m.text)].sort()).toEqual([...sent].sort());
    for (const client of [ann, bob]) {
      expect(client.texts()).toEqual(server.stored.map((m) => m.text));
      expect(client.state.pending).toEqual([]);
    }
  });

  it("edits and deletions made while a reader was away reach them on resume, once, and resume after them", () => {
    ann.send("one", "a1");
    ann.send("two", "a2");
    server.pump(live());
    const [one, two] = server.stored.map((m) => m.id);
    server.drop(bob.factory.last);
    ann.edit(one ?? "", "one, fixed", "a3");
    ann.remove(two ?? "", "a4");
    server.pump(live());
    expect(ann.state.changes).toEqual([]);

    vi.advanceTimersByTime(100);
    bob.factory.last.open(); // since = the id of "two": the edit and the deletion are replayed
    server.pump(live());
    expect(bob.messages()).toEqual(server.stored);
    expect(bob.messages().map((m) => [m.text, m.edited_ts !== undefined, m.deleted === true])).toEqual([
      ["one, fixed", true, false],
      ["", false, true],
    ]);
    expect(bob.state.rooms.general?.cursor).toBe(entryId(server.stream.at(-1) as Entry));

    // Once more: the resume starts after the deletion, and nothing changes.
    const before = bob.state.rooms.general;
    server.drop(bob.factory.last);
    vi.advanceTimersByTime(1000);
    bob.factory.last.open();
    server.pump(live());
    expect(bob.factory.last.sent).toContainEqual({ type: "subscribe", room: "general", since: "1004-0" });
    expect(bob.state.rooms.general?.messages).toBe(before?.messages);
  });

  it("an edit whose ack was lost is re-sent with its client_id and stored once", () => {
    ann.send("draft", "a1");
    server.pump(live());
    const id = server.stored[0]?.id ?? "";
    server.crashAfterStoring = (text) => text === "final";
    ann.edit(id, "final", "a2");
    server.pump(live());
    server.crashAfterStoring = null;
    expect(ann.state.changes.map((c) => c.state)).toEqual(["sending"]);
    vi.advanceTimersByTime(100);
    ann.factory.last.open();
    server.pump(live());
    expect(server.stream.filter((e) => e.type === "edit")).toHaveLength(1);
    expect(ann.texts()).toEqual(["final"]);
    expect(bob.texts()).toEqual(["final"]);
    expect(ann.state.changes).toEqual([]);
  });
});
