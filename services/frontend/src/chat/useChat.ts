/** Binds the chat state (reducer) and the connection to React for one logged-in user. */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "react";
import { api, ApiError, HISTORY_PAGE } from "../api/http";
import type { ChatMessage, RoomInfo } from "../api/types";
import { ChatConnection, socketUrl } from "./connection";
import { frameOutcome, newClientId } from "./frames";
import { askNotificationPermission, notifyMention } from "./notify";
import { ReadThrottle } from "./reads";
import { roomLabel } from "./rooms";
import { parseRoute, pathOf, routeRoom, threadPath } from "./routes";
import { chatReducer, initialState, type ChatState } from "./state";
import { usePath } from "../router";
/** Typing events are sent at most this often per room (the server relays ~1/s). */
const TYPING_EVERY_MS = 2000;

export interface Chat {
  state: ChatState;
  /** The open room or DM, named by the page's address; null until it is known. */
  room: string | null;
  /** Whether the address names a conversation: "finding" until the room list says. */
  found: "finding" | "yes" | "no";
  /** The thread the address opens beside the room (its first message's id), if any. */
  thread: string | null;
  notice: string | null;
  loadingOlder: boolean;
  selectRoom(room: string): void;
  createRoom(name: string, isPrivate: boolean): Promise<void>;
  openDm(user: string): void;
  /** Opens (or finds) my group DM with the others `users`. */
  openGroupDm(users: string[]): Promise<void>;
  join(room: string): void;
  /** Leaves the room; a private one is then gone, and the page goes to the default room. */
  leave(room: string): void;
  send(text: string): void;
  edit(message: ChatMessage, text: string): void;
  remove(message: ChatMessage): void;
  /** My `emoji` on the message, or off it. */
  react(message: ChatMessage, emoji: string, add: boolean): void;
  /** Loads a thread: its first message, and its replies (those that come later arrive live). */
  loadThread(room: string, id: string): Promise<ChatMessage | null>;
  /** Opens the thread beside the room, at its own address. */
  openThread(message: ChatMessage): void;
  closeThread(): void;
  /** A reply in `parent`'s thread (`inRoom`: in the room's timeline too), retried until acked. */
  reply(parent: ChatMessage, text: string, inRoom: boolean): void;
  discard(clientId: string): void;
  typing(): void;
  loadOlder(): Promise<void>;
  /** The newest seq the reader sees at the bottom of the room; null when scrolled up. */
  readUpTo(seq: number | null): void;
  dismissNotice(): void;
}

const visible = () => document.visibilityState === "visible";

export function useChat(me: string, onSessionExpired: () => void): Chat {
  const [state, dispatch] = useReducer(chatReducer, me, initialState);
  const [path, navigate] = usePath();
  const route = parseRoute(path);
  const room = routeRoom(route, state.rooms, me);
  const known = room !== null && state.rooms[room]?.kind !== undefined;
  /** The room list arrived (rooms not in it do not exist, or are not mine). */
  const [listed, setListed] = useState(false);
  /** The DM address whose user could not be found. */
  const [noDmWith, setNoDmWith] = useState<string | null>(null);
  const dmWith = route.kind === "dm" ? route.user : null;
  const found = known ? "yes" : !listed || (dmWith !== null && dmWith !== noDmWith) ? "finding" : "no";
  const [notice, setNotice] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const stateRef = useRef(state);
  const roomRef = useRef(room);
  const connectionRef = useRef<ChatConnection | null>(null);
  const readsRef = useRef<ReadThrottle | null>(null);
  /** What readUpTo last said, and for which room: read it once the tab is visible again. */
  const bottomSeqRef = useRef<{ room: string; seq: number | null }>({ room: "", seq: null });
  /** When I last said I am typing, and where (another room starts afresh). */
  const lastTypingRef = useRef({ room: "", at: 0 });
  const expiredRef = useRef(onSessionExpired);

  // Callbacks of the long-lived connection read the latest values through refs.
  useLayoutEffect(() => {
    stateRef.current = state;
    roomRef.current = room;
    expiredRef.current = onSessionExpired;
  });

  const failed = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) expiredRef.current();
    else setNotice(err instanceof Error ? err.message : String(err));
  }, []);

  // What history shows comes with its reactions; `reaction` frames keep them current from there.
  const listReactions = useCallback(
    (name: string, messages: ChatMessage[]) => {
      const ids = messages.map((m) => m.id);
      if (!ids.length) return;
      api.reactions(name, ids).then((listed) => dispatch({ type: "reactionsListed", room: name, ids, listed }), failed);
    },
    [failed],
  );

  // The badge clears when the server's `read` frame says the position is stored (it tells every
  // socket of mine, this one too), not before: a tab closed right after reading keeps the truth.
  const markRead = useCallback((name: string, seq: number) => {
    if (seq <= (stateRef.current.rooms[name]?.readSeq ?? 0)) return;
    readsRef.current?.report(name, seq);
  }, []);

  const selectRoom = useCallback(
    (name: string) => navigate(pathOf(name, stateRef.current.rooms[name], me)),
    [navigate, me],
  );

  useEffect(() => {
    const connection = new ChatConnection({
      url: socketUrl(window.location),
      sinceFor: (name) => {
        const r = stateRef.current.rooms[name];
        // An empty room's history was loaded: replay everything since its start ("0-0").
        return r?.cursor ?? (r?.historyLoaded ? "0-0" : undefined);
      },
      onFrame: (frame) => {
        const outcome = frameOutcome(frame, Date.now());
        if (outcome && "action" in outcome) dispatch(outcome.action);
        else if (outcome) setNotice(outcome.notice);
        if (frame.type === "mention") {
          const where = roomLabel(frame.room, stateRef.current.rooms[frame.room], me);
          notifyMention(frame.user, where, () => selectRoom(frame.room));
        }
      },
      onStatus: (status) => dispatch({ type: "status", status }),
      // The upgrade is refused without a valid session: find out whether that is why.
      onConnectFailed: () => {
        api.me().catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 401) expiredRef.current();
        });
      },
      onSessionEnded: () => expiredRef.current(),
    });
    const reads = new ReadThrottle((name, seq) => connection.read(name, seq));
    connectionRef.current = connection;
    readsRef.current = reads;
    connection.start();
    const online = () => connection.reconnectNow();
    const offline = () => connection.markOffline();
    const shown = () => {
      const { room: at, seq } = bottomSeqRef.current;
      if (visible() && seq !== null && at === roomRef.current) markRead(at, seq);
    };
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    document.addEventListener("visibilitychange", shown);
    const stopAsking = askNotificationPermission();
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      document.removeEventListener("visibilitychange", shown);
      stopAsking();
      reads.stop();
      connection.stop();
      connectionRef.current = null;
      readsRef.current = null;
    };
  }, [me, markRead, selectRoom]);

  const historyLoaded = room !== null && (state.rooms[room]?.historyLoaded ?? false);
  const connected = state.status === "connected";

  // The room list, with unread counts, on every (re)connect; the socket keeps it current.
  useEffect(() => {
    if (!connected) return;
    api.rooms().then((rooms) => {
      dispatch({ type: "listed", rooms });
      setListed(true);
    }, failed);
  }, [connected, failed]);

  // A DM's address names the other member: a DM not listed yet is opened (found or created).
  useEffect(() => {
    if (!listed || room !== null || dmWith === null || dmWith === noDmWith) return;
    let cancelled = false;
    api.openDm(dmWith).then(
      (info) => {
        if (!cancelled) dispatch({ type: "listed", rooms: [info] });
      },
      (err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiError && err.status !== 401) setNoDmWith(dmWith);
        else failed(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [listed, room, dmWith, noDmWith, failed]);

  // History first (its last id is where the subscription resumes); retried on reconnect.
  useEffect(() => {
    if (room === null || !known || historyLoaded) return;
    let cancelled = false;
    api.history(room).then((messages) => {
      if (!cancelled) {
        dispatch({ type: "historyLoaded", room, messages, older: false, hasOlder: messages.length === HISTORY_PAGE });
        listReactions(room, messages);
      }
    }, failed);
    return () => {
      cancelled = true;
    };
  }, [room, known, historyLoaded, connected, failed, listReactions]);

  useEffect(() => {
    const connection = connectionRef.current;
    if (room === null || !historyLoaded || !connection) return;
    connection.subscribe(room);
    return () => connection.unsubscribe(room);
  }, [room, historyLoaded]);

  // Clears "X is typing…" once X has been quiet for a while.
  const someoneTyping = Object.values(state.rooms).some((r) => Object.keys(r.typing).length > 0);
  useEffect(() => {
    if (!someoneTyping) return;
    const timer = setInterval(() => dispatch({ type: "typingExpired", now: Date.now() }), 1000);
    return () => clearInterval(timer);
  }, [someoneTyping]);

  const send = useCallback(
    (text: string) => {
      if (room === null) return;
      const clientId = newClientId();
      dispatch({ type: "queued", clientId, room, text });
      connectionRef.current?.send(room, text, clientId);
      lastTypingRef.current = { room, at: 0 };
    },
    [room],
  );

  const edit = useCallback((message: ChatMessage, text: string) => {
    const clientId = newClientId();
    dispatch({ type: "changeQueued", change: { kind: "edit", clientId, room: message.room, target: message.id, text } });
    connectionRef.current?.edit(message.room, message.id, text, clientId);
  }, []);

  const remove = useCallback((message: ChatMessage) => {
    const clientId = newClientId();
    dispatch({ type: "changeQueued", change: { kind: "delete", clientId, room: message.room, target: message.id } });
    connectionRef.current?.remove(message.room, message.id, clientId);
  }, []);

  const react = useCallback(
    (message: ChatMessage, emoji: string, add: boolean) => {
      api.react(message.room, message.id, emoji, add).then(
        (after) => dispatch({ type: "reactionsListed", room: message.room, ids: [message.id], listed: [after] }),
        failed,
      );
    },
    [failed],
  );

  const loadThread = useCallback(
    async (name: string, id: string) => {
      try {
        const page = await api.thread(name, id);
        dispatch({ type: "threadLoaded", room: name, parent: id, replies: page.messages });
        return page.parent;
      } catch (err) {
        failed(err);
        return null;
      }
    },
    [failed],
  );

  const openThread = useCallback(
    (message: ChatMessage) => navigate(threadPath(pathOf(message.room, stateRef.current.rooms[message.room], me), message.id)),
    [navigate, me],
  );

  const closeThread = useCallback(() => {
    if (roomRef.current !== null) navigate(pathOf(roomRef.current, stateRef.current.rooms[roomRef.current], me));
  }, [navigate, me]);

  const reply = useCallback((parent: ChatMessage, text: string, inRoom: boolean) => {
    connectionRef.current?.send(parent.room, text, newClientId(), { thread: parent.id, inRoom });
  }, []);

  const discard = useCallback((clientId: string) => {
    connectionRef.current?.forget(clientId);
    dispatch({ type: "discarded", clientId });
  }, []);

  const typing = useCallback(() => {
    const now = Date.now();
    const last = lastTypingRef.current;
    if (room === null || (last.room === room && now - last.at < TYPING_EVERY_MS)) return;
    lastTypingRef.current = { room, at: now };
    connectionRef.current?.typing(room);
  }, [room]);

  const loadOlder = useCallback(async () => {
    if (room === null) return;
    const current = stateRef.current.rooms[room];
    const oldest = current?.messages[0]?.id;
    if (!current?.hasOlder || !oldest || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const messages = await api.history(room, oldest);
      dispatch({ type: "historyLoaded", room, messages, older: true, hasOlder: messages.length === HISTORY_PAGE });
      listReactions(room, messages);
    } catch (err) {
      failed(err);
    } finally {
      setLoadingOlder(false);
    }
  }, [room, loadingOlder, failed, listReactions]);

  const readUpTo = useCallback(
    (seq: number | null) => {
      if (room !== null) bottomSeqRef.current = { room, seq };
      if (seq !== null && room !== null && visible()) markRead(room, seq);
    },
    [room, markRead],
  );

  const listAndOpen = useCallback(
    (info: RoomInfo) => {
      dispatch({ type: "listed", rooms: [info] });
      navigate(pathOf(info.name, { kind: info.kind, members: info.members ?? [] }, me));
    },
    [navigate, me],
  );

  const createRoom = useCallback(
    async (name: string, isPrivate: boolean) => listAndOpen(await api.createRoom(name, isPrivate)),
    [listAndOpen],
  );

  const openDm = useCallback((user: string) => void api.openDm(user).then(listAndOpen, failed), [listAndOpen, failed]);

  const openGroupDm = useCallback(
    async (users: string[]) => listAndOpen(await api.openGroupDm(users)),
    [listAndOpen],
  );

  const join = useCallback(
    (name: string) => void api.join(name).then((info) => dispatch({ type: "listed", rooms: [info] }), failed),
    [failed],
  );

  const leave = useCallback(
    (name: string) => {
      api.leave(name).then(() => {
        if (stateRef.current.rooms[name]?.private) {
          dispatch({ type: "roomLost", room: name });
          navigate("/");
        } else dispatch({ type: "memberChanged", room: name, member: me, action: "leave" });
      }, failed);
    },
    [failed, navigate, me],
  );

  const dismissNotice = useCallback(() => setNotice(null), []);

  return {
    state,
    room,
    found,
    thread: route.kind === "unknown" ? null : (route.thread ?? null),
    notice,
    loadingOlder,
    selectRoom,
    createRoom,
    openDm,
    openGroupDm,
    join,
    leave,
    send,
    edit,
    remove,
    react,
    loadThread,
    openThread,
    closeThread,
    reply,
    discard,
    typing,
    loadOlder,
    readUpTo,
    dismissNotice,
  };
}
