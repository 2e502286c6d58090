import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { draftKey } from "../chat/drafts";
import { Composer, MAX_MESSAGE_LENGTH } from "./Composer";

function setup() {
  const onSend = vi.fn();
  const onTyping = vi.fn();
  render(<Composer to="#general" draftKey={draftKey("ann", "general")} onSend={onSend} onTyping={onTyping} />);
  return { onSend, onTyping, box: screen.getByLabelText("Message #general") };
}

afterEach(() => localStorage.clear());

describe("Composer", () => {
  it("keeps a draft per conversation: another room starts empty, coming back (or a reload) restores it, sending clears it", async () => {
    const onSend = vi.fn();
    const composer = (room: string) => (
      <Composer key={room} to={`#${room}`} draftKey={draftKey("ann", room)} onSend={onSend} onTyping={() => {}} />
    );
    const { rerender, unmount } = render(composer("general"));
    await userEvent.type(screen.getByLabelText("Message #general"), "half a thought");
    rerender(composer("random"));
    const random = screen.getByLabelText("Message #random");
    expect(random).toHaveValue("");
    await userEvent.type(random, "{Enter}");
    expect(onSend).not.toHaveBeenCalled();
    unmount();
    render(composer("general"));
    const general = screen.getByLabelText("Message #general");
    expect(general).toHaveValue("half a thought");
    await userEvent.type(general, "{Enter}");
    expect(onSend).toHaveBeenCalledWith("half a thought");
    expect(localStorage.getItem(draftKey("ann", "general"))).toBeNull();
  });

  it("keeps drafts apart per user", () => {
    localStorage.setItem(draftKey("bob", "general"), "bob's words");
    setup();
    expect(screen.getByLabelText("Message #general")).toHaveValue("");
  });

  it("Enter sends and clears; Shift+Enter adds a new line", async () => {
    const { onSend, onTyping, box } = setup();
    await userEvent.type(box, "first line{Shift>}{Enter}{/Shift}second line");
    expect(box).toHaveValue("first line\nsecond line");
    expect(onTyping).toHaveBeenCalled();
    await userEvent.type(box, "{Enter}");
    expect(onSend).toHaveBeenCalledWith("first line\nsecond line");
    expect(box).toHaveValue("");
  });

  it("does not send blank messages", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("shows a counter near the limit and blocks sending over it", async () => {
    const { onSend, box } = setup();
    await userEvent.click(box);
    await userEvent.paste("x".repeat(MAX_MESSAGE_LENGTH - 500));
    expect(screen.queryByText(/characters left/)).toBeNull();
    await userEvent.paste("x".repeat(490));
    expect(screen.getByText("10 characters left")).toBeInTheDocument();
    await userEvent.paste("x".repeat(15));
    expect(screen.getByText("5 characters too long")).toBeInTheDocument();
    expect(box).toHaveAttribute("aria-invalid", "true");
    await userEvent.type(box, "{Enter}");
    expect(onSend).not.toHaveBeenCalled();
  });

  it("completes @names from the members it is given: arrows choose, Enter or Tab takes, Escape closes", async () => {
    const onSend = vi.fn();
    render(
      <Composer to="#general" draftKey={draftKey("ann", "general")} onSend={onSend} onTyping={() => {}} members={["bob", "bobby", "cat"]} />,
    );
    const box = screen.getByLabelText("Message #general");
    await userEvent.type(box, "hi @bo");
    const list = screen.getByRole("listbox", { name: "People" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["bob", "bobby"]);
    expect(box).toHaveAttribute("aria-activedescendant", within(list).getByRole("option", { name: "bob" }).id);
    await userEvent.keyboard("{ArrowDown}{Enter}");
    expect(box).toHaveValue("hi @bobby ");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.type(box, "and @c");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("hi @bobby and @c");
  });

  it("the Send button works for pointer and keyboard users", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "hello");
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Add emoji" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Send" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("hello");
  });
});
