/**
 * One WebSocket to /api/ws that survives restarts: it reconnects with backoff and
 * jitter, resubscribes every room with `since` = the last id seen, and re-sends every
 * message, edit and deletion not acked yet with its original client_id (the server stores a
 * client_id once, so a re-send after a lost ack cannot double anything).
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";
import { closeCodes } from "../api/protocol";
import { parseServerFrame, type ClientFrame, type ServerFrame } from "../api/types";
import { retryable } from "./frames";
import type { ConnectionStatus } from "./state";

/** The part of the browser's WebSocket this class uses (a fake one in tests). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export interface ConnectionOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  /** Resume point for a room: its last delivered id (undefined = live only). */
  sinceFor: (room: string) => string | undefined;
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** A connection attempt failed before opening (e.g. the session expired). */
  onConnectFailed?: () => void;
  /** The server closed the socket because its session ended (logout, expiry, ended from
   * elsewhere): the cookie will not work again, so the connection stops for good. */
  onSessionEnded?: () => void;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Ping this often; no frame for twice as long means the link is dead. */
  heartbeatMs?: number;
}

/** The frames kept until acked: each names itself by client_id. */
type Outgoing = Extract<ClientFrame, { client_id: string }>;

export class ChatConnection {
  private socket: SocketLike | null = null;
  private readonly rooms = new Set<string>();
  /** Sent or to be sent, until acked: insertion order is send order. */
  private readonly outbox = new Map<string, Outgoing>();
  /** Read positions reported while closed, sent once open (the newest per room). */
  private readonly unsentReads = new Map<string, number>();
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private lastFrameAt = 0;
  private stopped = false;
  private status: ConnectionStatus = "connecting";
  private readonly options: Required<Omit<ConnectionOptions, "onConnectFailed" | "onSessionEnded">> &
    Pick<ConnectionOptions, "onConnectFailed" | "onSessionEnded">;

  constructor(options: ConnectionOptions) {
    this.options = {
      createSocket: (url) => new WebSocket(url),
      random: Math.random,
      backoff: DEFAULT_BACKOFF,
      heartbeatMs: 25_000,
      ...options,
    };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Closes for good (logout, page left): no reconnect. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.discardSocket();
  }

  /** The browser says the network is back: try now instead of waiting out the backoff. A
   * socket that lived through the outage is connected again (a ping proves it, or the
   * heartbeat replaces it). */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.isOpen()) {
      this.setStatus("connected");
      this.write({ type: "ping" });
      return;
    }
    this.attempt = 0;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.discardSocket();
    this.connect();
  }

  /** The browser says the network is gone; any frame that still arrives says otherwise. */
  markOffline(): void {
    this.setStatus("offline");
  }

  subscribe(room: string): void {
    this.rooms.add(room);
    if (this.isOpen()) this.sendSubscribe(room);
  }

  unsubscribe(room: string): void {
    if (this.rooms.delete(room) && this.isOpen()) this.write({ type: "unsubscribe", room });
  }

  /** Queues a message until it is acked; sent now if connected, else after reconnect. A reply
   * names its thread's first message (`inRoom`: shown in the room's timeline too). */
  send(room: string, text: string, clientId: string, reply?: { thread: string; inRoom: boolean }): void {
    const threaded = reply ? { thread: reply.thread, in_room: reply.inRoom } : {};
    this.queue({ type: "message", client_id: clientId, room, text, ...threaded });
  }

  /** Queues an edit of one of my messages, like a send. */
  edit(room: string, id: string, text: string, clientId: string): void {
    this.queue({ type: "edit", client_id: clientId, room, id, text });
  }

  /** Queues the deletion of one of my messages, like a send. */
  remove(room: string, id: string, clientId: string): void {
    this.queue({ type: "delete", client_id: clientId, room, id });
  }

  /** Moves my read position in the room (the server keeps the highest). */
  read(room: string, seq: number): void {
    if (this.isOpen()) this.write({ type: "read", room, seq });
    else this.unsentReads.set(room, Math.max(seq, this.unsentReads.get(room) ?? 0));
  }

  /** Gives up on a queued message, edit or deletion (the user discarded it). */
  forget(clientId: string): void {
    this.outbox.delete(clientId);
  }

  typing(room: string): void {
    if (this.isOpen() && this.rooms.has(room)) this.write({ type: "typing", room });
  }

  get pendingCount(): number {
    return this.outbox.size;
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus(status);
  }

  private connect(): void {
    this.reconnectTimer = null;
    let opened = false;
    const socket = this.options.createSocket(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.setStatus("connected");
      // Subscribe before re-sending, so the broadcast copies of our re-sent messages reach us.
      for (const room of this.rooms) this.sendSubscribe(room);
      for (const clientId of this.outbox.keys()) this.writeQueued(clientId);
      for (const [room, seq] of this.unsentReads) this.write({ type: "read", room, seq });
      this.unsentReads.clear();
      this.startHeartbeat();
    };
    socket.onmessage = (event: MessageEvent) => {
      this.lastFrameAt = Date.now();
      this.setStatus("connected");
      if (typeof event.data !== "string") return;
      const frame = parseServerFrame(event.data);
      if (frame) this.handle(frame);
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      if (event.code === closeCodes.session_ended) {
        this.stop();
        this.options.onSessionEnded?.();
        return;
      }
      if (!opened) this.options.onConnectFailed?.();
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  /** Drops the current socket without waiting for its close handshake (it may never come). */
  private discardSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.stopHeartbeat();
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }

  private scheduleReconnect(): void {
    if (this.status !== "offline") this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.options.random, this.options.backoff);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private handle(frame: ServerFrame): void {
    if (frame.type === "ack") {
      this.outbox.delete(frame.client_id);
    } else if (frame.type === "error" && frame.client_id !== undefined) {
      const clientId = frame.client_id;
      const wait = retryable(frame);
      // Still pending and retried by itself; the frame goes on so the user sees why it waits.
      if (wait !== null && this.outbox.has(clientId)) this.retryLater(clientId, wait);
      else this.outbox.delete(clientId);
    }
    this.options.onFrame(frame);
  }

  private retryLater(clientId: string, delay: number): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.isOpen()) this.writeQueued(clientId);
    }, delay);
    this.retryTimers.add(timer);
  }

  private sendSubscribe(room: string): void {
    const since = this.options.sinceFor(room);
    this.write(since === undefined ? { type: "subscribe", room } : { type: "subscribe", room, since });
  }

  private queue(frame: Outgoing): void {
    this.outbox.set(frame.client_id, frame);
    if (this.isOpen()) this.write(frame);
  }

  private writeQueued(clientId: string): void {
    const frame = this.outbox.get(clientId);
    if (frame) this.write(frame);
  }

  private write(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.options.heartbeatMs;
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * every) {
        // Silent for too long (a half-open TCP link): drop it and reconnect.
        this.discardSocket();
        this.scheduleReconnect();
        return;
      }
      this.write({ type: "ping" });
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }
}

/** ws:// or wss:// to /api/ws on the page's own origin (so the session cookie goes along). */
export function socketUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`;
}
