/**
 * The delivery promise end to end, in memory: the real connection and reducer against a
 * small server that behaves like the backend (stores a client_id once, replays after
 * `since`, broadcasts to subscribers), with connections dropped at the worst moments.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, ClientFrame } from "../api/types";
import { compareIds } from "../api/types";
import { FakeSocket, SocketFactory } from "../testing/fakeSocket";
import { ChatConnection } from "./connection";
import { frameOutcome } from "./frames";
import { chatReducer, initialState, type ChatState } from "./state";

class FakeServer {
  readonly stored: ChatMessage[] = [];
  private seq = 0;
  private readonly byClientId = new Map<string, ChatMessage>();
  private readonly subscribers = new Map<FakeSocket, string>();
  private readonly handled = new Map<FakeSocket, number>();
  /** When set, a matching message is stored but the socket dies before the ack. */
  crashAfterStoring: ((text: string) => boolean) | null = null;

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
        for (const m of this.stored.filter((s) => compareIds(s.id, after) > 0)) {
          socket.receive({ type: "message", message: m });
        }
      }
    } else if (frame.type === "message") {
      let message = this.byClientId.get(frame.client_id);
      if (message === undefined) {
        const seq = ++this.seq;
        message = { id: `${1000 + seq}-0`, room: frame.room, user, text: frame.text, ts: seq, client_id: frame.client_id };
        this.stored.push(message);
        this.byClientId.set(frame.client_id, message);
        for (const [sub, room] of this.subscribers) {
          if (room === frame.room && sub !== socket) sub.receive({ type: "message", message });
        }
        if (this.crashAfterStoring?.(frame.text)) {
          this.drop(socket);
          return;
        }
        socket.receive({ type: "message", message });
      }
      socket.receive({ type: "ack", client_id: frame.client_id, id: message.id, ts: message.ts });
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

  texts(): string[] {
    return (this.state.rooms.general?.messages ?? []).map((m) => m.text);
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
});
