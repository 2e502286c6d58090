import { render, screen, within } from "@testing-library/react";
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

function message(id: string, text: string, user = "mallory"): ChatMessage {
  return { id, room: "general", user, text, ts: 0, client_id: `c${id}` };
}

function renderList(messages: ChatMessage[], extra: Partial<Parameters<typeof MessageList>[0]> = {}) {
  return render(
    <MessageList
      room="general"
      messages={messages}
      pending={[]}
      hasOlder={false}
      loadingOlder={false}
      onLoadOlder={() => {}}
      onDiscard={() => {}}
      {...extra}
    />,
  );
}

describe("MessageList", () => {
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
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(link).toHaveAttribute("target", "_blank");
    expect(screen.getAllByRole("link")).toHaveLength(1);
  });

  it("keeps line breaks of multi-line messages", () => {
    renderList([message("1-0", "line one\nline two")]);
    const text = screen.getByText(/line one/);
    expect(text.textContent).toBe("line one\nline two");
  });

  it("marks pending messages and lets a refused one be discarded", async () => {
    const onDiscard = vi.fn();
    renderList([], {
      onDiscard,
      pending: [
        { clientId: "p1", room: "general", text: "on its way", state: "sending" },
        { clientId: "p2", room: "general", text: "too big", state: "failed", error: "'text' is too long" },
      ],
    });
    expect(screen.getByText("sending…")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("'text' is too long");
    await userEvent.click(screen.getByRole("button", { name: "Discard" }));
    expect(onDiscard).toHaveBeenCalledWith("p2");
  });

  it("offers older messages by button as well as by scrolling", async () => {
    const onLoadOlder = vi.fn();
    renderList([message("5-0", "hi")], { hasOlder: true, onLoadOlder });
    await userEvent.click(screen.getByRole("button", { name: "Load older messages" }));
    expect(onLoadOlder).toHaveBeenCalledTimes(1);
  });
});
