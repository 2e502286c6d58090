import { act, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "../api/types";
import { MessageList } from "./MessageList";

const hostile = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  '<a href="javascript:alert(1)">click</a>',
  "javascript:alert(1)",
  "<svg onload=alert(1)>",
];

const NOW = Date.now();

function message(id: string, text: string, user = "mallory", extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, room: "general", user, text, ts: NOW, client_id: `c${id}`, seq: Number.parseInt(id, 10), ...extra };
}

type Props = Parameters<typeof MessageList>[0];

function actions(): Props["actions"] {
  return { edit: vi.fn(), remove: vi.fn(), react: vi.fn(), openThread: vi.fn(), discard: vi.fn() };
}

function list(messages: ChatMessage[], extra: Partial<Props> = {}) {
  return (
    <MessageList
      label="Messages in general"
      me="ann"
      messages={messages}
      pending={[]}
      changes={[]}
      hasOlder={false}
      loadingOlder={false}
      onLoadOlder={() => {}}
      actions={actions()}
      reactions={{}}
      threads={{}}
      onReadUpTo={() => {}}
      {...extra}
    />
  );
}

const renderList = (messages: ChatMessage[], extra: Partial<Props> = {}) => render(list(messages, extra));

/** jsdom lays nothing out: give the scroller a height and a scroll position. */
function layout(scroller: HTMLElement, sizes: { scrollHeight: number; clientHeight: number }) {
  let top = 0;
  Object.defineProperty(scroller, "scrollHeight", { configurable: true, get: () => sizes.scrollHeight });
  Object.defineProperty(scroller, "clientHeight", { configurable: true, get: () => sizes.clientHeight });
  Object.defineProperty(scroller, "scrollTop", {
    configurable: true,
    get: () => top,
    set: (value: number) => {
      top = Math.max(0, Math.min(value, sizes.scrollHeight - sizes.clientHeight));
    },
  });
}

describe("MessageList", () => {
  it("shows each message's reactions, mine pressed, and toggles mine with a click", async () => {
    const acts = actions();
    const first = message("1", "ship it");
    renderList([first, message("2", "no reactions here")], {
      actions: acts,
      reactions: {
        "1": [
          { emoji: "👍", count: 2, users: ["ann", "bob"] },
          { emoji: "🎉", count: 1, users: ["bob"] },
        ],
      },
    });
    const mine = screen.getByRole("button", { name: "👍 2: ann, bob" });
    const theirs = screen.getByRole("button", { name: "🎉 1: bob" });
    expect(mine).toHaveAttribute("aria-pressed", "true");
    expect(theirs).toHaveAttribute("aria-pressed", "false");
    await userEvent.click(mine);
    await userEvent.click(theirs);
    expect(acts.react).toHaveBeenNthCalledWith(1, first, "👍", false);
    expect(acts.react).toHaveBeenNthCalledWith(2, first, "🎉", true);
    // Every message can be reacted to; only the first has reactions to show.
    expect(screen.getAllByRole("button", { name: "React to mallory's message" })).toHaveLength(2);
  });

  it("shows a thread's reply count and last repliers, the newest thread frame's over history's", async () => {
    const acts = actions();
    const asked = message("1", "who is on call?", "mallory", { replies: 1, last_repliers: ["bob"] });
    const other = message("2", "lunch?", "mallory", { replies: 1, last_repliers: ["bob"] });
    renderList([asked, other], { actions: acts, threads: { "2": { replies: 3, lastRepliers: ["bob", "cat"] } } });
    expect(screen.getByRole("button", { name: "1 reply · bob" })).toBeVisible();
    await userEvent.click(screen.getByRole("button", { name: "3 replies · bob, cat" }));
    expect(acts.openThread).toHaveBeenCalledWith(other);
    await userEvent.click(screen.getAllByRole("button", { name: "Reply to mallory's message in a thread" })[0]!);
    expect(acts.openThread).toHaveBeenLastCalledWith(asked);
  });

  it("shows hostile markup as literal text and creates no elements from it", () => {
    const { container } = renderList(hostile.map((text, i) => message(`${i + 1}-0`, text)));
    const log = screen.getByRole("log", { name: "Messages in general" });
    for (const text of hostile) expect(within(log).getByText(text)).toBeInTheDocument();
    expect(container.querySelector("img, script, svg, iframe")).toBeNull();
    expect(container.querySelectorAll("a")).toHaveLength(0);
  });

  it("links only http(s) URLs, opened safely in a new tab", () => {
    renderList([message("1-0", "docs: https://example.com/guide and javascript:alert(1)")]);
    const link = screen.getByRole("link", { name: "https://example.com/guide" });
    expect(link).toHaveAttribute("href", "https://example.com/guide");
    expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
    expect(link).toHaveAttribute("target", "_blank");
    expect(screen.getAllByRole("link")).toHaveLength(1);
  });

  it("keeps line breaks of multi-line messages", () => {
    renderList([message("1-0", "line one\nline two")]);
    const text = screen.getByText(/line one/);
    expect(text.textContent).toBe("line one\nline two");
  });

  it("marks pending messages and lets a refused one be discarded", async () => {
    const handlers = actions();
    renderList([], {
      actions: handlers,
      pending: [
        { clientId: "p1", room: "general", text: "on its way", state: "sending" },
        { clientId: "p2", room: "general", text: "too big", state: "failed", error: "'text' is too long" },
      ],
    });
    expect(screen.getByText("sending…")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("'text' is too long");
    await userEvent.click(screen.getByRole("button", { name: "Discard" }));
    expect(handlers.discard).toHaveBeenCalledWith("p2");
  });

  it("says at once why a rate-limited send waits and counts down to its retry", () => {
    vi.useFakeTimers({ now: NOW });
    try {
      const delayed = { reason: "rate_limited" as const, retryAt: NOW + 2500 };
      renderList([], { pending: [{ clientId: "p1", room: "general", text: "hurry", state: "sending", delayed }] });
      expect(screen.getByRole("status")).toHaveTextContent("Too many messages at once. Sending again in 3 s.");
      act(() => vi.advanceTimersByTime(500));
      expect(screen.getByRole("status")).toHaveTextContent("Sending again in 2 s.");
      act(() => vi.advanceTimersByTime(1000));
      expect(screen.getByRole("status")).toHaveTextContent("Sending again in 1 s.");
      act(() => vi.advanceTimersByTime(1000));
      expect(screen.getByRole("status")).toHaveTextContent("Sending again…");
    } finally {
      vi.useRealTimers();
    }
  });

  it("offers older messages by button as well as by scrolling", async () => {
    const onLoadOlder = vi.fn();
    renderList([message("5-0", "hi")], { hasOlder: true, onLoadOlder });
    await userEvent.click(screen.getByRole("button", { name: "Load older messages" }));
    expect(onLoadOlder).toHaveBeenCalledTimes(1);
  });

  it("separates days and shows a person's name once for consecutive messages", () => {
    const yesterday = NOW - 24 * 3600_000;
    renderList([
      message("1-0", "late", "bob", { ts: yesterday }),
      message("2-0", "one", "bob"),
      message("3-0", "two", "bob"),
      message("4-0", "three", "zoe"),
    ]);
    const log = screen.getByRole("log");
    expect(within(log).getAllByRole("separator").map((s) => s.getAttribute("aria-label"))).toEqual(["Yesterday", "Today"]);
    const authors = [...log.querySelectorAll(".author:not(.visually-hidden)")].map((a) => a.textContent);
    expect(authors).toEqual(["bob", "bob", "zoe"]);
  });

  it("emphasises @mentions, a mention of me the most", () => {
    renderList([message("1-0", "@ann and @bob, see @al")]);
    expect(screen.getByText("@ann").tagName).toBe("MARK");
    expect(screen.getByText("@bob")).toHaveClass("mention");
    expect(screen.getByText("@bob").tagName).toBe("STRONG");
  });

  it("offers edit and delete on my own messages only, and marks edited and deleted ones", async () => {
    const handlers = actions();
    renderList(
      [
        message("1-0", "mine", "ann", { edited_ts: NOW }),
        message("2-0", "theirs", "bob"),
        message("3-0", "", "ann", { deleted: true }),
      ],
      { actions: handlers },
    );
    expect(screen.getAllByRole("button", { name: "Edit message" })).toHaveLength(1);
    expect(screen.getByText("(edited)")).toBeInTheDocument();
    expect(screen.getByText("This message was deleted")).toBeInTheDocument();
    // Shift+click skips the confirmation (the dialog itself is tested in the browser: jsdom has no showModal).
    fireEvent.click(screen.getByRole("button", { name: "Delete message" }), { shiftKey: true });
    expect(handlers.remove).toHaveBeenCalledWith(expect.objectContaining({ id: "1-0" }));
  });

  it("edits inline: Enter saves, Escape cancels, focus goes back to the Edit button", async () => {
    const handlers = actions();
    const mine = message("1-0", "typo", "ann");
    renderList([mine], { actions: handlers });
    // Tab order: reply in a thread, react, then edit.
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Reply to ann's message in a thread" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "React to ann's message" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Edit message" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    const box = screen.getByRole("textbox", { name: "Edit message" });
    expect(box).toHaveFocus();
    await userEvent.keyboard(" more{Escape}");
    expect(screen.queryByRole("textbox", { name: "Edit message" })).toBeNull();
    expect(screen.getByRole("button", { name: "Edit message" })).toHaveFocus();
    expect(handlers.edit).not.toHaveBeenCalled();

    await userEvent.keyboard("{Enter}");
    await userEvent.clear(screen.getByRole("textbox", { name: "Edit message" }));
    await userEvent.keyboard("fixed{Enter}");
    expect(handlers.edit).toHaveBeenCalledWith(mine, "fixed");
  });

  it("shows my pending edit as saving, and a refused one with its reason", async () => {
    const handlers = actions();
    const change = { kind: "edit" as const, clientId: "e1", room: "general", target: "1-0", text: "new text" };
    const { rerender } = renderList([message("1-0", "old text", "ann")], {
      changes: [{ ...change, state: "sending" }],
      actions: handlers,
    });
    expect(screen.getByText("new text")).toBeInTheDocument();
    expect(screen.getByText("saving…")).toBeInTheDocument();
    rerender(
      list([message("1-0", "old text", "ann")], {
        changes: [{ ...change, state: "failed", error: "not your message" }],
        actions: handlers,
      }),
    );
    expect(screen.getByText("old text")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("not your message");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(handlers.discard).toHaveBeenCalledWith("e1");
  });

  it("scrolled up, new messages wait behind a button; at the bottom the view follows and reports the newest seq", async () => {
    const onReadUpTo = vi.fn();
    const first = [message("1-0", "one"), message("2-0", "two")];
    const { container, rerender } = renderList(first, { onReadUpTo });
    const scroller = container.querySelector(".messages") as HTMLElement;
    const sizes = { scrollHeight: 1000, clientHeight: 300 };
    layout(scroller, sizes);
    rerender(list([...first, message("3-0", "three")], { onReadUpTo }));
    expect(scroller.scrollTop).toBe(700); // followed
    fireEvent.scroll(scroller);
    expect(onReadUpTo).toHaveBeenLastCalledWith(3);

    scroller.scrollTop = 100;
    fireEvent.scroll(scroller);
    expect(onReadUpTo).toHaveBeenLastCalledWith(null);
    sizes.scrollHeight = 1200;
    rerender(list([...first, message("3-0", "three"), message("4-0", "four")], { onReadUpTo }));
    expect(scroller.scrollTop).toBe(100); // no jump
    expect(onReadUpTo).toHaveBeenLastCalledWith(null);

    await userEvent.click(screen.getByRole("button", { name: "New messages" }));
    expect(scroller.scrollTop).toBe(900);
    fireEvent.scroll(scroller);
    expect(screen.queryByRole("button", { name: "New messages" })).toBeNull();
    expect(onReadUpTo).toHaveBeenLastCalledWith(4);
  });
});
