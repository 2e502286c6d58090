import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { closeCodes } from "../api/protocol";
import { SocketFactory } from "../testing/fakeSocket";
import { ChatConnection, socketUrl, type ConnectionOptions } from "./connection";
import type { ServerFrame } from "../api/types";
import type { ConnectionStatus } from "./state";

let factory: SocketFactory;
let frames: ServerFrame[];
let statuses: ConnectionStatus[];
let since: Record<string, string | undefined>;

function connect(extra: Partial<ConnectionOptions> = {}): ChatConnection {
  const connection = new ChatConnection({
    url: "ws://chat.test/api/ws",
    createSocket: factory.create,
    sinceFor: (room) => since[room],
    onFrame: (frame) => frames.push(frame),
    onStatus: (status) => statuses.push(status),
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000 },
    heartbeatMs: 1000,
    ...extra,
  });
  connection.start();
  return connection;
}

beforeEach(() => {
  vi.useFakeTimers();
  factory = new SocketFactory();
  frames = [];
  statuses = [];
  since = {};
});

afterEach(() => {
  vi.useRealTimers();
});

describe("ChatConnection", () => {
  it("queues messages while connecting and sends them, after subscribing, once open", () => {
    const connection = connect();
    since.general = "5-0";
    connection.subscribe("general");
    connection.send("general", "hi", "c1");
    factory.last.open();
    expect(factory.last.sent).toEqual([
      { type: "subscribe", room: "general", since: "5-0" },
      { type: "message", room: "general", text: "hi", client_id: "c1" },
    ]);
    expect(statuses).toEqual(["connected"]);
  });

  it("subscribes without since when nothing was seen yet", () => {
    const connection = connect();
    factory.last.open();
    connection.subscribe("general");
    expect(factory.last.sent).toEqual([{ type: "subscribe", room: "general" }]);
  });

  it("after a drop: reconnects, resubscribes from the last id seen and re-sends unacked messages with the same client_id", () => {
    const connection = connect();
    connection.subscribe("general");
    factory.last.open();
    connection.send("general", "acked", "c1");
    connection.send("general", "lost ack", "c2");
    factory.last.receive({ type: "ack", client_id: "c1", id: "7-0", ts: 7 });
    since.general = "7-0";
    factory.last.drop();
    expect(statuses).toEqual(["connected", "reconnecting"]);
    expect(connection.pendingCount).toBe(1);

    vi.advanceTimersByTime(100); // first retry: jittered half-way between 50 and 100 ms
    expect(factory.sockets).toHaveLength(2);
    factory.last.open();
    expect(factory.last.sent).toEqual([
      { type: "subscribe", room: "general", since: "7-0" },
      { type: "message", room: "general", text: "lost ack", client_id: "c2" },
    ]);
    expect(statuses.at(-1)).toBe("connected");
  });

  it("keeps edits and deletions like messages: re-sent with their client_id until acked", () => {
    const connection = connect();
    connection.subscribe("general");
    factory.last.open();
    connection.edit("general", "5-0", "fixed", "e1");
    connection.remove("general", "6-0", "d1");
    factory.last.receive({ type: "ack", client_id: "d1", id: "8-0", ts: 8 });
    factory.last.drop();
    vi.advanceTimersByTime(100);
    factory.last.open();
    expect(factory.last.sent).toEqual([
      { type: "subscribe", room: "general" },
      { type: "edit", room: "general", id: "5-0", text: "fixed", client_id: "e1" },
    ]);
  });

  it("sends read positions when open, and the newest of those reported while closed once it opens", () => {
    const connection = connect();
    factory.last.open();
    connection.read("general", 3);
    expect(factory.last.sent).toEqual([{ type: "read", room: "general", seq: 3 }]);
    factory.last.drop();
    connection.read("general", 5);
    connection.read("general", 4);
    connection.read("random", 1);
    vi.advanceTimersByTime(100);
    factory.last.open();
    expect(factory.last.sent).toEqual([
      { type: "read", room: "general", seq: 5 },
      { type: "read", room: "random", seq: 1 },
    ]);
    factory.last.drop();
    vi.advanceTimersByTime(200);
    factory.last.open();
    expect(factory.last.sent).toEqual([]);
  });

  it("backs off exponentially with jitter while the server stays down, and starts over once connected", () => {
    connect({ random: () => 0 }); // lower edge of the jitter: half the ceiling
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = factory.sockets.length;
      factory.last.drop();
      let waited = 0;
      while (factory.sockets.length === before) {
        vi.advanceTimersByTime(10);
        waited += 10;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([50, 100, 200, 400, 500, 500]);
    factory.last.open();
    factory.last.drop();
    vi.advanceTimersByTime(50);
    expect(factory.sockets).toHaveLength(8);
  });

  it("reports a connection that failed before opening (the session may have expired)", () => {
    const onConnectFailed = vi.fn();
    connect({ onConnectFailed });
    factory.last.drop();
    expect(onConnectFailed).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    factory.last.open();
    factory.last.drop();
    expect(onConnectFailed).toHaveBeenCalledTimes(1);
  });

  it("stops for good when the server says the session ended, and says so", () => {
    const onSessionEnded = vi.fn();
    const onConnectFailed = vi.fn();
    connect({ onSessionEnded, onConnectFailed });
    factory.last.open();
    factory.last.drop(closeCodes.session_ended);
    expect(onSessionEnded).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(1); // no reconnect with a cookie that no longer works
    expect(onConnectFailed).not.toHaveBeenCalled();
  });

  it("reconnects after any other close, a restart's included", () => {
    const onSessionEnded = vi.fn();
    connect({ onSessionEnded });
    factory.last.open();
    factory.last.drop(closeCodes.service_restart);
    vi.advanceTimersByTime(100);
    expect(factory.sockets).toHaveLength(2);
    expect(onSessionEnded).not.toHaveBeenCalled();
  });

  it("retries a message the server could not store yet, and gives up on one it refused", () => {
    const connection = connect();
    factory.last.open();
    connection.send("general", "later", "c1");
    connection.send("general", "x".repeat(5000), "c2");
    const socket = factory.last;
    // The wait comes from retry_after_ms, not from the prose of detail.
    socket.receive({
      type: "error",
      code: "rate_limited",
      detail: "too many messages; retry in 9 ms",
      client_id: "c1",
      retry_after_ms: 300,
    });
    socket.receive({ type: "error", code: "too_long", detail: "too long", client_id: "c2" });
    // Both go on (the user is told why the first waits), but only the second is dropped.
    expect(frames.map((f) => f.type === "error" && f.code)).toEqual(["rate_limited", "too_long"]);
    expect(connection.pendingCount).toBe(1);
    socket.sent.length = 0;
    vi.advanceTimersByTime(349);
    expect(socket.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(socket.sent).toEqual([{ type: "message", room: "general", text: "later", client_id: "c1" }]);
  });

  it("retries after a second when the refusal says nothing about when", () => {
    const connection = connect({ heartbeatMs: 60_000 });
    factory.last.open();
    connection.send("general", "later", "c1");
    const socket = factory.last;
    socket.receive({ type: "error", code: "unavailable", detail: "storage unavailable", client_id: "c1" });
    expect(connection.pendingCount).toBe(1);
    socket.sent.length = 0;
    vi.advanceTimersByTime(999);
    expect(socket.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(socket.sent).toEqual([{ type: "message", room: "general", text: "later", client_id: "c1" }]);
  });

  it("shows connected again when the network returns while the socket lived through it", () => {
    const connection = connect();
    const socket = factory.last;
    socket.open();
    connection.markOffline();
    expect(statuses).toEqual(["connected", "offline"]);
    connection.reconnectNow();
    expect(statuses).toEqual(["connected", "offline", "connected"]);
    expect(factory.sockets).toHaveLength(1);
    expect(socket.sent).toEqual([{ type: "ping" }]);
  });

  it("shows connected again when a frame arrives after the browser said offline", () => {
    const connection = connect();
    factory.last.open();
    connection.markOffline();
    factory.last.receive({ type: "pong" });
    expect(statuses).toEqual(["connected", "offline", "connected"]);
  });

  it("passes every other frame on and drops what is not a valid frame", () => {
    connect();
    factory.last.open();
    factory.last.receive({ type: "presence", room: "general", users: ["ann"] });
    factory.last.onmessage?.(new MessageEvent("message", { data: "<html>" }));
    expect(frames).toEqual([{ type: "presence", room: "general", users: ["ann"] }]);
  });

  it("pings, and replaces a link that went silent", () => {
    connect();
    const first = factory.last;
    first.open();
    vi.advanceTimersByTime(1000);
    expect(first.sent).toEqual([{ type: "ping" }]);
    first.receive({ type: "pong" });
    vi.advanceTimersByTime(2000);
    expect(factory.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1000); // 3 s with no frame at all
    expect(first.closedByClient).toBe(true);
    vi.advanceTimersByTime(100);
    expect(factory.sockets).toHaveLength(2);
  });

  it("stop() closes for good", () => {
    const connection = connect();
    factory.last.open();
    connection.stop();
    expect(factory.last.closedByClient).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(1);
  });

  it("reconnectNow() skips the remaining backoff when the network comes back", () => {
    const connection = connect();
    factory.last.drop();
    connection.markOffline();
    expect(statuses.at(-1)).toBe("offline");
    connection.reconnectNow();
    expect(factory.sockets).toHaveLength(2);
    factory.last.open();
    expect(statuses.at(-1)).toBe("connected");
  });

  it("unsubscribing forgets the room for later reconnects", () => {
    const connection = connect();
    connection.subscribe("general");
    connection.subscribe("random");
    factory.last.open();
    connection.unsubscribe("random");
    expect(factory.last.sent.at(-1)).toEqual({ type: "unsubscribe", room: "random" });
    factory.last.drop();
    vi.advanceTimersByTime(100);
    factory.last.open();
    expect(factory.last.sent).toEqual([{ type: "subscribe", room: "general" }]);
  });
});

describe("socketUrl", () => {
  it("uses the page's origin and matching scheme", () => {
    expect(socketUrl({ protocol: "http:", host: "127.0.0.1:8080" })).toBe("ws://127.0.0.1:8080/api/ws");
    expect(socketUrl({ protocol: "https:", host: "chat.example.com" })).toBe("wss://chat.example.com/api/ws");
  });
});
