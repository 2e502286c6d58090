/** Binds the chat state (reducer) and the connection to React for one logged-in user. */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "react";
import { api, ApiError, HISTORY_PAGE } from "../api/http";
import { ChatConnection, socketUrl } from "./connection";
import { frameOutcome, newClientId } from "./frames";
import { chatReducer, initialState, type ChatState } from "./state";

export const DEFAULT_ROOM = "general";
/** Typing events are sent at most this often per room (the server relays ~1/s). */
const TYPING_EVERY_MS = 2000;

export interface Chat {
  state: ChatState;
  room: string;
  rooms: string[];
  notice: string | null;
  loadingOlder: boolean;
  selectRoom(room: string): void;
  createRoom(name: string): Promise<void>;
  send(text: string): void;
  discard(clientId: string): void;
  typing(): void;
  loadOlder(): Promise<void>;
  dismissNotice(): void;
}

export function useChat(me: string, onSessionExpired: () => void): Chat {
  const [state, dispatch] = useReducer(chatReducer, me, initialState);
  const [room, setRoom] = useState(DEFAULT_ROOM);
  const [rooms, setRooms] = useState<string[]>([DEFAULT_ROOM]);
  const [notice, setNotice] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const stateRef = useRef(state);
  const connectionRef = useRef<ChatConnection | null>(null);
  const lastTypingRef = useRef(0);
  const expiredRef = useRef(onSessionExpired);

  // Callbacks of the long-lived connection read the latest values through refs.
  useLayoutEffect(() => {
    stateRef.current = state;
    expiredRef.current = onSessionExpired;
  });

  const failed = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) expiredRef.current();
    else setNotice(err instanceof Error ? err.message : String(err));
  }, []);

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
      },
      onStatus: (status) => dispatch({ type: "status", status }),
      // The upgrade is refused without a valid session: find out whether that is why.
      onConnectFailed: () => {
        api.me().catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 401) expiredRef.current();
        });
      },
    });
    connectionRef.current = connection;
    connection.start();
    const online = () => connection.reconnectNow();
    const offline = () => connection.markOffline();
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      connection.stop();
      connectionRef.current = null;
    };
  }, [me]);


  const historyLoaded = state.rooms[room]?.historyLoaded ?? false;
  const connected = state.status === "connected";

  // Rooms others created show up on every (re)connect.
  useEffect(() => {
    if (connected) api.rooms().then(setRooms, failed);
  }, [connected, failed]);

  // History first (its last id is where the subscription resumes); retried on reconnect.
  useEffect(() => {
    if (historyLoaded) return;
    let cancelled = false;
    api.history(room).then((messages) => {
      if (!cancelled) {
        dispatch({ type: "historyLoaded", room, messages, older: false, hasOlder: messages.length === HISTORY_PAGE });
      }
    }, failed);
    return () => {
      cancelled = true;
    };
  }, [room, historyLoaded, connected, failed]);

  useEffect(() => {
    const connection = connectionRef.current;
    if (!historyLoaded || !connection) return;
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
      const clientId = newClientId();
      dispatch({ type: "queued", clientId, room, text });
      connectionRef.current?.send(room, text, clientId);
      lastTypingRef.current = 0;
    },
    [room],
  );

  const discard = useCallback((clientId: string) => {
    connectionRef.current?.forget(clientId);
    dispatch({ type: "discarded", clientId });
  }, []);

  const typing = useCallback(() => {
    const now = Date.now();
    if (now - lastTypingRef.current < TYPING_EVERY_MS) return;
    lastTypingRef.current = now;
    connectionRef.current?.typing(room);
  }, [room]);

  const loadOlder = useCallback(async () => {
    const current = stateRef.current.rooms[room];
    const oldest = current?.messages[0]?.id;
    if (!current?.hasOlder || !oldest || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const messages = await api.history(room, oldest);
      dispatch({ type: "historyLoaded", room, messages, older: true, hasOlder: messages.length === HISTORY_PAGE });
    } catch (err) {
      failed(err);
    } finally {
      setLoadingOlder(false);
    }
  }, [room, loadingOlder, failed]);

  const selectRoom = useCallback((name: string) => {
    setRoom(name);
    lastTypingRef.current = 0;
  }, []);

  const createRoom = useCallback(async (name: string) => {
    await api.createRoom(name);
    setRooms((known) => [...new Set([...known, name])].sort());
    setRoom(name);
  }, []);

  const dismissNotice = useCallback(() => setNotice(null), []);

  return {
    state,
    room,
    rooms,
    notice,
    loadingOlder,
    selectRoom,
    createRoom,
    send,
    discard,
    typing,
    loadOlder,
    dismissNotice,
  };
}
