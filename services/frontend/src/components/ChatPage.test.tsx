/** The chat screen wired to its hook, with the network replaced: HTTP answered by a
 * stubbed fetch, the WebSocket by a scripted fake. */
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, RoomInfo } from "../api/types";
import { SocketFactory } from "../testing/fakeSocket";
import { json } from "../testing/http";
import { ChatPage } from "./ChatPage";

function message(n: number, user = "bob"): ChatMessage {
  return { id: `${n}-0`, room: "general", user, text: `message ${n}`, ts: 1_700_000_000_000, client_id: `c${n}`, seq: n };
}

const room = (name: string, extra: Partial<RoomInfo> = {}): RoomInfo => ({
  name,
  kind: "room",
  seq: 0,
  unread: 0,
  mentioned: false,
  ...extra,
});
const DM = room("dm:ann:bob", { kind: "dm", members: ["ann", "bob"] });

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => message(from + i));

let sockets: SocketFactory;
let requests: string[];
let bodies: unknown[];

beforeEach(() => {
  window.history.replaceState(null, "", "/");
  document.title = "Chat";
  sockets = new SocketFactory();
  requests = [];
  bodies = [];
  vi.stubGlobal("WebSocket", function FakeWebSocket(url: string) {
    return sockets.create(url);
  });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string, init?: RequestInit) => {
      requests.push(path);
      if (typeof init?.body === "string") bodies.push(JSON.parse(init.body));
      if (path === "/api/rooms") {
        return json({ rooms: [room("general", { seq: 149, unread: 4 }), room("random", { seq: 5, unread: 2 })] });
      }
      if (path === "/api/dms") return json(DM, 201);
      if (path === "/api/rooms/dm%3Aann%3Abob/messages?limit=50") return json({ messages: [] });
      if (path === "/api/rooms/general/messages?limit=50") return json({ messages: range(100, 150) });
      if (path === "/api/rooms/general/messages?limit=50&before=100-0") return json({ messages: range(90, 100) });
      if (path === "/api/rooms/random/messages?limit=50") return json({ messages: [] });
      return json({ error: "not_found", detail: path }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function opened() {
  render(<ChatPage me="ann" displayName="" onDisplayName={() => {}} onLogout={() => {}} onSessionExpired={() => {}} />);
  await waitFor(() => expect(sockets.sockets).toHaveLength(1));
  await act(async () => sockets.last.open());
  return sockets.last;
}

async function connected() {
  await opened();
  await screen.findByText("message 149");
  expect(screen.getByRole("status")).toHaveTextContent("Connected");
  await screen.findByRole("button", { name: "# random, 2 unread" });
  return sockets.last;
}

const rooms = () => screen.getByRole("region", { name: "Rooms" });
const dms = () => screen.getByRole("region", { name: "Direct messages" });

describe("ChatPage", () => {
  it("loads the newest history, then subscribes from its last id", async () => {
    const socket = await connected();
    await waitFor(() => expect(socket.sent).toContainEqual({ type: "subscribe", room: "general", since: "149-0" }));
    expect(socket.url).toBe(`ws://${window.location.host}/api/ws`);
    expect(within(screen.getByRole("log")).getAllByRole("listitem")).toHaveLength(50);
  });

  it("loads older pages on request and stops when there are no more", async () => {
    await connected();
    await userEvent.click(screen.getByRole("button", { name: "Load older messages" }));
    await screen.findByText("message 90");
    expect(requests).toContain("/api/rooms/general/messages?limit=50&before=100-0");
    expect(within(screen.getByRole("log")).getAllByRole("listitem")).toHaveLength(60);
    expect(screen.queryByRole("button", { name: "Load older messages" })).toBeNull();
  });

  it("shows a sent message as pending until acked, then once", async () => {
    const socket = await connected();
    await userEvent.type(screen.getByLabelText("Message #general"), "hello there{Enter}");
    expect(screen.getByText("sending…")).toBeInTheDocument();
    const sent = socket.sent.find((f) => f.type === "message");
    expect(sent).toMatchObject({ type: "message", room: "general", text: "hello there" });
    const clientId = sent?.type === "message" ? sent.client_id : "";
    act(() => socket.receive({ type: "ack", client_id: clientId, id: "150-0", ts: 1 }));
    act(() =>
      socket.receive({
        type: "message",
        message: { id: "150-0", room: "general", user: "ann", text: "hello there", ts: 1, client_id: clientId, seq: 150 },
      }),
    );
    expect(screen.queryByText("sending…")).toBeNull();
    expect(screen.getAllByText("hello there")).toHaveLength(1);
  });

  it("shows presence, typing and the connection state as they change", async () => {
    const socket = await connected();
    act(() => socket.receive({ type: "presence", room: "general", users: ["bob", "ann"] }));
    const online = screen.getByRole("region", { name: "Online in this room" });
    expect(within(online).getByText("bob")).toBeInTheDocument();
    expect(within(online).getByText(/ann/)).toHaveTextContent("ann (you)");
    act(() => socket.receive({ type: "typing", room: "general", user: "bob" }));
    expect(screen.getByText("bob is typing…")).toBeInTheDocument();
    act(() => socket.drop());
    expect(screen.getByRole("status")).toHaveTextContent("Reconnecting…");
    await waitFor(() => expect(sockets.sockets).toHaveLength(2), { timeout: 2000 });
    await act(async () => sockets.last.open());
    expect(screen.getByRole("status")).toHaveTextContent("Connected");
    expect(sockets.last.sent).toContainEqual({ type: "subscribe", room: "general", since: "149-0" });
  });

  it("switching rooms unsubscribes the old one and subscribes the new one", async () => {
    const socket = await connected();
    await userEvent.click(screen.getByRole("button", { name: /^# random/ }));
    expect(screen.getByRole("heading", { name: "# random" })).toBeInTheDocument();
    await waitFor(() => expect(socket.sent).toContainEqual({ type: "subscribe", room: "random", since: "0-0" }));
    expect(socket.sent).toContainEqual({ type: "unsubscribe", room: "general" });
    expect(screen.getByRole("button", { name: /^# random/ })).toHaveAttribute("aria-current", "page");
    expect(window.location.pathname).toBe("/r/random");
    act(() => window.history.back());
    expect(await screen.findByRole("heading", { name: "# general" })).toBeInTheDocument();
  });

  it("opens the room or DM its address names, and says so when there is none", async () => {
    window.history.replaceState(null, "", "/dm/bob");
    await opened();
    expect(await screen.findByRole("heading", { name: "bob" })).toBeInTheDocument();
    expect(bodies).toContainEqual({ username: "bob" });
    act(() => window.history.pushState(null, "", "/r/nowhere"));
    act(() => window.dispatchEvent(new PopStateEvent("popstate")));
    expect(await screen.findByRole("heading", { name: "Conversation not found" })).toBeInTheDocument();
    expect(screen.queryByRole("textbox", { name: /^Message/ })).toBeNull();
    expect(requests.filter((r) => r.includes("nowhere"))).toEqual([]);
  });

  it("shows the unread count in the tab's title", async () => {
    const socket = await connected();
    await waitFor(() => expect(document.title).toBe("(6) Chat"));
    act(() => socket.receive({ type: "read", room: "general", seq: 149 }));
    expect(document.title).toBe("(2) Chat");
    act(() => socket.receive({ type: "read", room: "random", seq: 5 }));
    expect(document.title).toBe("Chat");
  });

  it("lists rooms with unread counts, kept current by room, activity, mention and read frames", async () => {
    const socket = await connected();
    act(() => socket.receive({ type: "room", room: room("design") }));
    expect(within(rooms()).getByRole("button", { name: "# design" })).toBeInTheDocument();
    act(() => socket.receive({ type: "activity", rooms: [{ room: "design", seq: 3 }] }));
    act(() => socket.receive({ type: "mention", room: "design", seq: 3, user: "bob", id: "9-0" }));
    expect(within(rooms()).getByRole("button", { name: "# design, 3 unread, mention" })).toBeInTheDocument();
    act(() => socket.receive({ type: "read", room: "design", seq: 3 })); // read in another tab
    expect(within(rooms()).getByRole("button", { name: "# design" })).toBeInTheDocument();
    expect(within(dms()).queryAllByRole("listitem")).toEqual([]);
  });

  it("reads the open room once its newest message is on screen, cleared once the server stored it", async () => {
    const socket = await connected();
    await waitFor(() => expect(socket.sent).toContainEqual({ type: "read", room: "general", seq: 149 }));
    const general = () => within(rooms()).getByRole("button", { name: /^# general/ });
    expect(general()).toHaveAccessibleName("# general, 4 unread");
    act(() => socket.receive({ type: "read", room: "general", seq: 149 }));
    expect(general()).toHaveAccessibleName("# general");
    expect(general()).toHaveAttribute("aria-current", "page");
  });

  it("a room reopened while the tab is hidden is read once the tab is shown", async () => {
    const hidden = vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
    try {
      const socket = await connected();
      await userEvent.click(screen.getByRole("button", { name: /^# random/ }));
      await userEvent.click(screen.getByRole("button", { name: /^# general/ }));
      await screen.findByText("message 149");
      expect(socket.sent.filter((f) => f.type === "read")).toEqual([]);
      hidden.mockReturnValue("visible");
      act(() => document.dispatchEvent(new Event("visibilitychange")));
      await waitFor(() => expect(socket.sent).toContainEqual({ type: "read", room: "general", seq: 149 }));
    } finally {
      hidden.mockRestore();
    }
  });

  it("opens a DM from the list of who is online, named by the other member", async () => {
    const socket = await connected();
    act(() => socket.receive({ type: "presence", room: "general", users: ["ann", "bob"] }));
    const online = screen.getByRole("region", { name: "Online in this room" });
    expect(within(online).queryByRole("button", { name: "Message ann" })).toBeNull();
    await userEvent.click(within(online).getByRole("button", { name: "Message bob" }));
    expect(await screen.findByRole("heading", { name: "bob" })).toBeInTheDocument();
    expect(bodies).toContainEqual({ username: "bob" });
    expect(within(dms()).getByRole("button", { name: "bob" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("log", { name: "Messages with bob" })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Message bob" })).toBeInTheDocument();
    await waitFor(() => expect(socket.sent).toContainEqual({ type: "subscribe", room: "dm:ann:bob", since: "0-0" }));
  });

  it("edits and deletes my message over the socket, showing the result once acked", async () => {
    const socket = await connected();
    act(() => socket.receive({ type: "message", message: { ...message(150, "ann"), text: "tpyo" } }));
    await userEvent.click(screen.getByRole("button", { name: "Edit message" }));
    await userEvent.clear(screen.getByRole("textbox", { name: "Edit message" }));
    await userEvent.keyboard("typo{Enter}");
    const edit = socket.sent.find((f) => f.type === "edit");
    expect(edit).toMatchObject({ type: "edit", room: "general", id: "150-0", text: "typo" });
    act(() => socket.receive({ type: "ack", client_id: edit?.type === "edit" ? edit.client_id : "", id: "151-0", ts: 2 }));
    expect(screen.getByText("typo")).toBeInTheDocument();
    expect(screen.getByText("(edited)")).toBeInTheDocument();

    // Shift+click skips the confirmation (the dialog itself is tested in the browser: jsdom has no showModal).
    fireEvent.click(screen.getByRole("button", { name: "Delete message" }), { shiftKey: true });
    expect(socket.sent.find((f) => f.type === "delete")).toMatchObject({ room: "general", id: "150-0" });
    act(() => socket.receive({ type: "delete", room: "general", id: "152-0", target: "150-0", ts: 3, user: "ann" }));
    expect(screen.getByText("This message was deleted")).toBeInTheDocument();
  });

  it("notifies a mention while the tab is hidden, once notifications are allowed", async () => {
    const shown: Array<[string, NotificationOptions | undefined]> = [];
    vi.stubGlobal(
      "Notification",
      Object.assign(
        function FakeNotification(title: string, options?: NotificationOptions) {
          shown.push([title, options]);
        },
        { permission: "granted" },
      ),
    );
    const socket = await connected();
    act(() => socket.receive({ type: "mention", room: "random", seq: 6, user: "bob", id: "9-0" }));
    expect(shown).toEqual([]); // the tab is visible: the room list's mark is enough
    vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
    act(() => socket.receive({ type: "mention", room: "random", seq: 7, user: "bob", id: "10-0" }));
    expect(shown).toEqual([["bob mentioned you", { body: "in # random" }]]);
    vi.restoreAllMocks();
  });
});
