import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "../api/types";
import { ThreadPanel } from "./ThreadPanel";

const parent: ChatMessage = { id: "1-0", room: "general", user: "bob", text: "who is on call?", ts: 1, client_id: "c1", seq: 1 };
const reply: ChatMessage = { ...parent, id: "2-0", user: "cat", text: "me", client_id: "c2", seq: 2, thread: "1-0" };

describe("ThreadPanel", () => {
  it("shows the first message and its replies, and sends a reply, to the room too when asked", async () => {
    const onReply = vi.fn();
    const onClose = vi.fn();
    render(
      <ThreadPanel parent={parent} replies={[reply]} me="ann" roomLabel="#general" onReply={onReply} onClose={onClose} />,
    );
    expect(screen.getByRole("complementary", { name: "Thread" })).toHaveTextContent("who is on call?");
    expect(screen.getByRole("list", { name: "Replies to bob" })).toHaveTextContent("me");
    const box = screen.getByRole("textbox", { name: "Reply" });
    expect(screen.getByRole("button", { name: "Reply" })).toBeDisabled();
    await userEvent.type(box, "  I can  {Enter}");
    await userEvent.click(screen.getByRole("checkbox", { name: "Also send to #general" }));
    await userEvent.type(box, "and me{Enter}");
    expect(onReply.mock.calls).toEqual([
      ["I can", false],
      ["and me", true],
    ]);
    expect(box).toHaveValue("");
    await userEvent.click(screen.getByRole("button", { name: "Close thread" }));
    expect(onClose).toHaveBeenCalled();
  });
});
