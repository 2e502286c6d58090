/** The chat screen wired to its hook, with the network replaced: HTTP answered by a
 * stubbed fetch, the WebSocket by a scripted fake. */
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "../api/types";
import { SocketFactory } from "../testing/fakeSocket";
import { ChatPage } from "./ChatPage";

function message(n: number, user = "bob"): ChatMessage {
  return { id: `${n}-0`, room: "general", user, text: `message ${n}`, ts: 1_700_000_000_000, client_id: `c${n}` };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => message(from + i));

let sockets: SocketFactory;
let requests: string[];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  sockets = new SocketFactory();
  requests = [];
  vi.stubGlobal("WebSocket", function FakeWebSocket(url: string) {
    return sockets.create(url);
  });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string) => {
      requests.push(path);
      if (path === "/api/rooms") return json({ rooms: [{ name: "general" }, { name: "random" }] });
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

async function connected() {
  render(<ChatPage me="ann" onLogout={() => {}} onSessionExpired={() => {}} />);
  await waitFor(() => expect(sockets.sockets).toHaveLength(1));
  await act(async () => sockets.last.open());
  await screen.findByText("message 149");
  expect(screen.getByRole("status")).toHaveTextContent("Connected");
  return sockets.last;
}

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
        message: { id: "150-0", room: "general", user: "ann", text: "hello there", ts: 1, client_id: clientId },
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
    await userEvent.click(screen.getByRole("button", { name: "# random" }));
    expect(screen.getByRole("heading", { name: "# random" })).toBeInTheDocument();
    await waitFor(() => expect(socket.sent).toContainEqual({ type: "subscribe", room: "random", since: "0-0" }));
    expect(socket.sent).toContainEqual({ type: "unsubscribe", room: "general" });
    expect(screen.getByRole("button", { name: "# random" })).toHaveAttribute("aria-current", "page");
  });
});
