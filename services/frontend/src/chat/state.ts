/**
 * Chat state as a pure reducer: the rooms and DMs the server listed, confirmed messages per
 * room (unique by id, in id order, with their edits and deletions), sends and changes still
 * waiting for their ack, unread counts and mention marks, presence, typing and the
 * connection state. React only renders it; every delivery rule lives here so it is unit-tested.
 */
import type { MemberNotice, MessageReactions } from "../api/protocol";
import { compareIds, type ChatMessage, type RoomInfo } from "../api/types";
import { applyReaction, withListed, type Reactions } from "./reactions";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "offline";

export interface PendingMessage {
  clientId: string;
  room: string;
  text: string;
  /** "sending" until the ack; "failed" when the server refused it for good. */
  state: "sending" | "failed";
  error?: string;
  /** The server asked to wait (e.g. rate_limited): the connection re-sends it at retryAt (ms). */
  delayed?: Delay;
}

export interface Delay {
  reason: string;
  retryAt: number;
}

/** An edit or deletion of one of my messages, sent and not acked yet. */
export type NewChange = { clientId: string; room: string; target: string } & (
  | { kind: "edit"; text: string }
  | { kind: "delete" }
);
export type PendingChange = NewChange & { state: "sending" | "failed"; error?: string; delayed?: Delay };

export interface RoomState {
  /** How the server listed it; undefined until it did. */
  kind?: RoomInfo["kind"];
  /** A DM's members (two, or a group's up to nine). */
  members: string[];
  /** A room that is invite-only: it exists for its members only. */
  private: boolean;
  /** A room I am a member of (always, for a private room I can see). */
  joined: boolean;
  /** The room's topic; "" when none. */
  topic: string;
  /** Membership changes seen live: a member list shown refreshes on each. */
  memberChanges: number;
  /** Newest message seq known: from the room list, activity, mentions or messages. */
  seq: number;
  /** My read position (on any of my tabs): messages up to this seq are read. */
  readSeq: number;
  /** Seq of the newest message mentioning me; marked while unread. */
  mentionSeq: number;
  messages: ChatMessage[];
  /** Highest stream id the server delivered (history or live, message or event): resubscribe resumes after it. */
  cursor?: string;
  historyLoaded: boolean;
  hasOlder: boolean;
  users: string[];
  /** user → time (ms) of their last typing event. */
  typing: Record<string, number>;
  /** Message id → its reactions (messages without any are absent). */
  reactions: Reactions;
  /** A thread's first message id → its replies seen so far (loaded or live), oldest first. */
  replies: Record<string, ChatMessage[]>;
  /** A thread's first message id → its reply count and last repliers, as the newest `thread`
   * frame said (history gives them on the message itself). */
  threads: Record<string, ThreadSummary>;
}

export interface ThreadSummary {
  replies: number;
  lastRepliers: string[];
}

export interface ChatState {
  me: string;
  status: ConnectionStatus;
  rooms: Record<string, RoomState>;
  pending: PendingMessage[];
  changes: PendingChange[];
}

export type ChatAction =
  | { type: "status"; status: ConnectionStatus }
  | { type: "historyLoaded"; room: string; messages: ChatMessage[]; older: boolean; hasOlder: boolean }
  | { type: "received"; message: ChatMessage }
  | { type: "queued"; clientId: string; room: string; text: string }
  | { type: "acked"; clientId: string; id: string; ts: number }
  | { type: "changeQueued"; change: NewChange }
  | { type: "edited"; room: string; id: string; target: string; text: string; ts: number }
  | { type: "deleted"; room: string; id: string; target: string }
  | { type: "listed"; rooms: RoomInfo[] }
  | { type: "activity"; rooms: { room: string; seq: number }[] }
  | { type: "mentioned"; room: string; seq: number }
  | { type: "read"; room: string; seq: number }
  | { type: "failed"; clientId: string; error: string }
  | { type: "delayed"; clientId: string; reason: string; retryAt: number }
  | { type: "discarded"; clientId: string }
  | { type: "presence"; room: string; users: string[] }
  | { type: "typing"; room: string; user: string; at: number }
  | { type: "typingExpired"; now: number }
  | { type: "reactionsListed"; room: string; ids: string[]; listed: MessageReactions[] }
  | { type: "reacted"; room: string; target: string; emoji: string; user: string; add: boolean }
  | { type: "threadLoaded"; room: string; parent: string; replies: ChatMessage[] }
  | { type: "threadChanged"; room: string; parent: string; summary: ThreadSummary }
  | { type: "topicChanged"; room: string; id?: string; topic: string }
  | { type: "memberChanged"; room: string; id?: string; member: string; action: MemberNotice["action"] }
  | { type: "roomLost"; room: string };

/** How long "X is typing…" stays after X's last keystroke event. */
export const TYPING_TTL_MS = 4000;

export function initialState(me: string): ChatState {
  return { me, status: "connecting", rooms: {}, pending: [], changes: [] };
}

function emptyRoom(): RoomState {
  return {
    members: [],
    private: false,
    joined: false,
    topic: "",
    memberChanges: 0,
    seq: 0,
    readSeq: 0,
    mentionSeq: 0,
    messages: [],
    historyLoaded: false,
    hasOlder: false,
    users: [],
    typing: {},
    reactions: {},
    replies: {},
    threads: {},
  };
}

export function unreadCount(room: RoomState): number {
  return Math.max(0, room.seq - room.readSeq);
}

export function mentionUnread(room: RoomState): boolean {
  return room.mentionSeq > room.readSeq;
}

/** Adds messages not yet known by id and keeps the list in id order. The copy made from my
 * ack has no seq yet (0): the delivered copy, which has it, takes its place. */
export function mergeMessages(existing: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const known = new Map(existing.map((m, i) => [m.id, i]));
  let merged = existing;
  const fresh: ChatMessage[] = [];
  for (const m of incoming) {
    const i = known.get(m.id);
    if (i === undefined) {
      known.set(m.id, -1);
      fresh.push(m);
    } else if (i >= 0 && merged[i]?.seq === 0 && m.seq > 0) {
      merged = merged === existing ? [...existing] : merged;
      merged[i] = m;
    }
  }
  if (fresh.length === 0) return merged;
  return [...merged, ...fresh].sort((a, b) => compareIds(a.id, b.id));
}

function maxId(current: string | undefined, ids: string[]): string | undefined {
  return ids.reduce<string | undefined>((max, id) => (max === undefined || compareIds(id, max) > 0 ? id : max), current);
}

const idsOf = (messages: ChatMessage[]) => messages.map((m) => m.id);
const seqOf = (messages: ChatMessage[]) => Math.max(0, ...messages.map((m) => m.seq));

/** Applies `update` to the room (created empty if unknown); the same state if nothing changed. */
function updateRoom(state: ChatState, room: string, update: (r: RoomState) => RoomState): ChatState {
  const before = state.rooms[room] ?? emptyRoom();
  const after = update(before);
  if (after === before && state.rooms[room]) return state;
  return { ...state, rooms: { ...state.rooms, [room]: after } };
}

/** The room with its resume position moved past the stream entry `id` (if it is newer). */
function withCursor(r: RoomState, id: string | undefined): RoomState {
  const cursor = id === undefined ? r.cursor : maxId(r.cursor, [id]);
  return cursor === r.cursor ? r : { ...r, cursor };
}

/** Raises the room's counters (seq, read position, mention): each only ever grows. */
function raise(r: RoomState, counters: Partial<Pick<RoomState, "seq" | "readSeq" | "mentionSeq">>): RoomState {
  const seq = Math.max(r.seq, counters.seq ?? 0);
  const readSeq = Math.max(r.readSeq, counters.readSeq ?? 0);
  const mentionSeq = Math.max(r.mentionSeq, counters.mentionSeq ?? 0);
  if (seq === r.seq && readSeq === r.readSeq && mentionSeq === r.mentionSeq) return r;
  return { ...r, seq, readSeq, mentionSeq };
}

type Change = { kind: "edit"; text: string; ts: number } | { kind: "delete" };

/** A message with an edit or deletion applied. A deleted message stays deleted, and an edit
 * older than the text shown (history already holds a newer one) is skipped, so replays
 * change nothing. */
function changed(m: ChatMessage, change: Change): ChatMessage {
  if (m.deleted) return m;
  if (change.kind === "delete") return { ...m, text: "", deleted: true };
  if (m.edited_ts !== undefined && change.ts < m.edited_ts) return m;
  if (m.edited_ts === change.ts && m.text === change.text) return m;
  return { ...m, text: change.text, edited_ts: change.ts };
}

function applyChange(r: RoomState, target: string, change: Change): RoomState {
  const i = r.messages.findIndex((m) => m.id === target);
  const m = r.messages[i];
  if (m === undefined) return r; // not loaded: history brings it with the change folded in
  const next = changed(m, change);
  return next === m ? r : { ...r, messages: r.messages.map((old, j) => (j === i ? next : old)) };
}

/** The acked change applied as the server stored it (its broadcast then changes nothing). */
function applyAckedChange(state: ChatState, change: PendingChange, ts: number): ChatState {
  const next = updateRoom(state, change.room, (r) =>
    applyChange(r, change.target, change.kind === "edit" ? { kind: "edit", text: change.text, ts } : change),
  );
  return { ...next, changes: state.changes.filter((c) => c !== change) };
}

/** Our own pending copy is replaced by the stored message (matched by client_id). */
function dropPendingFor(pending: PendingMessage[], me: string, messages: ChatMessage[]): PendingMessage[] {
  const mine = new Set(messages.filter((m) => m.user === me).map((m) => m.client_id));
  return mine.size === 0 ? pending : pending.filter((p) => !mine.has(p.clientId));
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "status":
      return state.status === action.status ? state : { ...state, status: action.status };
    case "historyLoaded": {
      const next = updateRoom(state, action.room, (r) => ({
        ...raise(r, { seq: seqOf(action.messages) }),
        messages: mergeMessages(r.messages, action.messages),
        cursor: maxId(r.cursor, idsOf(action.messages)),
        historyLoaded: true,
        // Only a page of older messages says whether even older ones exist; a refresh of
        // the newest page must not reset what scrolling up already found.
        hasOlder: action.older || !r.historyLoaded ? action.hasOlder : r.hasOlder,
      }));
      return { ...next, pending: dropPendingFor(next.pending, state.me, action.messages) };
    }
    case "received": {
      const { message } = action;
      // A reply lives in its thread; one also sent to the room shows in the timeline too.
      const parent = message.thread ?? undefined;
      const next = updateRoom(state, message.room, (r) => {
        const typing = { ...r.typing };
        delete typing[message.user];
        return {
          ...raise(r, { seq: message.seq }),
          messages: parent && !message.in_room ? r.messages : mergeMessages(r.messages, [message]),
          replies: parent ? { ...r.replies, [parent]: mergeMessages(r.replies[parent] ?? [], [message]) } : r.replies,
          cursor: maxId(r.cursor, [message.id]),
          typing,
        };
      });
      return { ...next, pending: dropPendingFor(next.pending, state.me, [message]) };
    }
    case "queued":
      if (state.pending.some((p) => p.clientId === action.clientId)) return state;
      return {
        ...state,
        pending: [
          ...state.pending,
          { clientId: action.clientId, room: action.room, text: action.text, state: "sending" },
        ],
      };
    case "acked": {
      // The ack can beat the broadcast copy of our own message: show it as stored now,
      // under its real id, so the broadcast (same id) then only brings its seq.
      // The cursor is not moved: only what the subscription delivered counts as seen.
      const change = state.changes.find((c) => c.clientId === action.clientId);
      if (change) return applyAckedChange(state, change, action.ts);
      const pending = state.pending.find((p) => p.clientId === action.clientId);
      if (!pending) return state;
      const stored: ChatMessage = {
        id: action.id,
        room: pending.room,
        user: state.me,
        text: pending.text,
        ts: action.ts,
        client_id: pending.clientId,
        seq: 0, // the ack does not say; the delivered copy does
      };
      const next = updateRoom(state, pending.room, (r) => ({
        ...r,
        messages: mergeMessages(r.messages, [stored]),
      }));
      return { ...next, pending: state.pending.filter((p) => p !== pending) };
    }
    case "changeQueued":
      if (state.changes.some((c) => c.clientId === action.change.clientId)) return state;
      return { ...state, changes: [...state.changes, { ...action.change, state: "sending" }] };
    case "edited":
    case "deleted":
      return updateRoom(state, action.room, (r) => {
        const next = applyChange(
          r,
          action.target,
          action.type === "edited" ? { kind: "edit", text: action.text, ts: action.ts } : { kind: "delete" },
        );
        return withCursor(next, action.id);
      });
    case "listed":
      return action.rooms.reduce(
        (acc, info) =>
          updateRoom(acc, info.name, (r) => {
            const counters = raise(r, {
              seq: info.seq,
              readSeq: info.seq - info.unread,
              mentionSeq: info.mentioned ? info.seq : 0,
            });
            const listed = {
              kind: info.kind,
              members: info.members ?? [],
              private: info.private ?? false,
              joined: info.joined ?? false,
              topic: info.topic ?? "",
            };
            const same =
              r.kind === listed.kind &&
              r.members.join() === listed.members.join() &&
              r.private === listed.private &&
              r.joined === listed.joined &&
              r.topic === listed.topic;
            return same ? counters : { ...counters, ...listed };
          }),
        state,
      );
    case "topicChanged":
      return updateRoom(state, action.room, (r) => withCursor({ ...r, topic: action.topic }, action.id));
    case "memberChanged":
      return updateRoom(state, action.room, (r) => {
        const mine = action.member === state.me;
        const joined = mine ? action.action === "join" || action.action === "add" : r.joined;
        return withCursor({ ...r, joined, memberChanges: r.memberChanges + 1 }, action.id);
      });
    case "roomLost": {
      if (!(action.room in state.rooms)) return state;
      const rooms = { ...state.rooms };
      delete rooms[action.room];
      return { ...state, rooms };
    }
    case "activity":
      return action.rooms.reduce((acc, { room, seq }) => updateRoom(acc, room, (r) => raise(r, { seq })), state);
    case "mentioned":
      return updateRoom(state, action.room, (r) => raise(r, { seq: action.seq, mentionSeq: action.seq }));
    case "read":
      return updateRoom(state, action.room, (r) => raise(r, { readSeq: action.seq }));
    case "failed": {
      const fail = <T extends { clientId: string }>(items: T[]) =>
        items.map((p) => (p.clientId === action.clientId ? { ...p, state: "failed" as const, error: action.error } : p));
      return { ...state, pending: fail(state.pending), changes: fail(state.changes) };
    }
    case "delayed": {
      const delayed: Delay = { reason: action.reason, retryAt: action.retryAt };
      const delay = <T extends { clientId: string }>(items: T[]) =>
        items.map((p) => (p.clientId === action.clientId ? { ...p, delayed } : p));
      return { ...state, pending: delay(state.pending), changes: delay(state.changes) };
    }
    case "discarded": {
      const keep = (p: { clientId: string }) => p.clientId !== action.clientId;
      return { ...state, pending: state.pending.filter(keep), changes: state.changes.filter(keep) };
    }
    case "presence":
      return updateRoom(state, action.room, (r) => ({ ...r, users: [...action.users].sort() }));
    case "reactionsListed":
      return updateRoom(state, action.room, (r) => ({
        ...r,
        reactions: withListed(r.reactions, action.ids, action.listed),
      }));
    case "reacted":
      return updateRoom(state, action.room, (r) => {
        const before = r.reactions[action.target] ?? [];
        const after = applyReaction(before, action.emoji, action.user, action.add);
        if (after === before) return r;
        return { ...r, reactions: withListed(r.reactions, [action.target], [{ id: action.target, reactions: after }]) };
      });
    case "threadLoaded":
      return updateRoom(state, action.room, (r) => ({
        ...r,
        replies: { ...r.replies, [action.parent]: mergeMessages(r.replies[action.parent] ?? [], action.replies) },
      }));
    case "threadChanged":
      return updateRoom(state, action.room, (r) => ({ ...r, threads: { ...r.threads, [action.parent]: action.summary } }));
    case "typing":
      if (action.user === state.me) return state;
      return updateRoom(state, action.room, (r) => ({
        ...r,
        typing: { ...r.typing, [action.user]: action.at },
      }));
    case "typingExpired": {
      let changed = false;
      const rooms: Record<string, RoomState> = {};
      for (const [name, r] of Object.entries(state.rooms)) {
        const alive = Object.entries(r.typing).filter(([, at]) => action.now - at < TYPING_TTL_MS);
        if (alive.length !== Object.keys(r.typing).length) {
          changed = true;
          rooms[name] = { ...r, typing: Object.fromEntries(alive) };
        } else {
          rooms[name] = r;
        }
      }
      return changed ? { ...state, rooms } : state;
    }
  }
}

/** Who is typing in a room right now (never ourselves), for "X is typing…". */
export function typingUsers(room: RoomState | undefined): string[] {
  return room ? Object.keys(room.typing).sort() : [];
}
