/**
 * Chat state as a pure reducer: confirmed messages per room (unique by id, in id order),
 * messages still waiting for their ack, presence, typing and the connection state.
 * React only renders it; every delivery rule lives here so it is unit-tested.
 */
import { compareIds, type ChatMessage } from "../api/types";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "offline";

export interface PendingMessage {
  clientId: string;
  room: string;
  text: string;
  /** "sending" until the ack; "failed" when the server refused it for good. */
  state: "sending" | "failed";
  error?: string;
}

export interface RoomState {
  messages: ChatMessage[];
  /** Highest id the server delivered (history or live): resubscribe resumes after it. */
  cursor?: string;
  historyLoaded: boolean;
  hasOlder: boolean;
  users: string[];
  /** user → time (ms) of their last typing event. */
  typing: Record<string, number>;
}

export interface ChatState {
  me: string;
  status: ConnectionStatus;
  rooms: Record<string, RoomState>;
  pending: PendingMessage[];
}

export type ChatAction =
  | { type: "status"; status: ConnectionStatus }
  | { type: "historyLoaded"; room: string; messages: ChatMessage[]; older: boolean; hasOlder: boolean }
  | { type: "received"; message: ChatMessage }
  | { type: "queued"; clientId: string; room: string; text: string }
  | { type: "acked"; clientId: string; id: string; ts: number }
  | { type: "failed"; clientId: string; error: string }
  | { type: "discarded"; clientId: string }
  | { type: "presence"; room: string; users: string[] }
  | { type: "typing"; room: string; user: string; at: number }
  | { type: "typingExpired"; now: number };

/** How long "X is typing…" stays after X's last keystroke event. */
export const TYPING_TTL_MS = 4000;

export function initialState(me: string): ChatState {
  return { me, status: "connecting", rooms: {}, pending: [] };
}

function emptyRoom(): RoomState {
  return { messages: [], historyLoaded: false, hasOlder: false, users: [], typing: {} };
}

/** Adds messages not yet known by id and keeps the list in id order. */
export function mergeMessages(existing: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const known = new Set(existing.map((m) => m.id));
  const fresh = incoming.filter((m) => {
    if (known.has(m.id)) return false;
    known.add(m.id);
    return true;
  });
  if (fresh.length === 0) return existing;
  return [...existing, ...fresh].sort((a, b) => compareIds(a.id, b.id));
}

function maxId(current: string | undefined, messages: ChatMessage[]): string | undefined {
  return messages.reduce<string | undefined>(
    (max, m) => (max === undefined || compareIds(m.id, max) > 0 ? m.id : max),
    current,
  );
}

function updateRoom(state: ChatState, room: string, update: (r: RoomState) => RoomState): ChatState {
  return { ...state, rooms: { ...state.rooms, [room]: update(state.rooms[room] ?? emptyRoom()) } };
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
        ...r,
        messages: mergeMessages(r.messages, action.messages),
        cursor: maxId(r.cursor, action.messages),
        historyLoaded: true,
        // Only a page of older messages says whether even older ones exist; a refresh of
        // the newest page must not reset what scrolling up already found.
        hasOlder: action.older || !r.historyLoaded ? action.hasOlder : r.hasOlder,
      }));
      return { ...next, pending: dropPendingFor(next.pending, state.me, action.messages) };
    }
    case "received": {
      const { message } = action;
      const next = updateRoom(state, message.room, (r) => {
        const typing = { ...r.typing };
        delete typing[message.user];
        return {
          ...r,
          messages: mergeMessages(r.messages, [message]),
          cursor: maxId(r.cursor, [message]),
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
      // under its real id, so the broadcast (same id) is then a duplicate and dropped.
      // The cursor is not moved: only what the subscription delivered counts as seen.
      const pending = state.pending.find((p) => p.clientId === action.clientId);
      if (!pending) return state;
      const stored: ChatMessage = {
        id: action.id,
        room: pending.room,
        user: state.me,
        text: pending.text,
        ts: action.ts,
        client_id: pending.clientId,
      };
      const next = updateRoom(state, pending.room, (r) => ({
        ...r,
        messages: mergeMessages(r.messages, [stored]),
      }));
      return { ...next, pending: state.pending.filter((p) => p !== pending) };
    }
    case "failed":
      return {
        ...state,
        pending: state.pending.map((p) =>
          p.clientId === action.clientId ? { ...p, state: "failed", error: action.error } : p,
        ),
      };
    case "discarded":
      return { ...state, pending: state.pending.filter((p) => p.clientId !== action.clientId) };
    case "presence":
      return updateRoom(state, action.room, (r) => ({ ...r, users: [...action.users].sort() }));
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
