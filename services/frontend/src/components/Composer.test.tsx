import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Composer, MAX_MESSAGE_LENGTH } from "./Composer";

function setup() {
  const onSend = vi.fn();
  const onTyping = vi.fn();
  render(<Composer to="#general" onSend={onSend} onTyping={onTyping} />);
  return { onSend, onTyping, box: screen.getByLabelText("Message #general") };
}

describe("Composer", () => {
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

  it("the Send button works for pointer and keyboard users", async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, "hello");
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Send" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("hello");
  });
});
