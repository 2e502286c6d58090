import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CreateRoom } from "./CreateRoom";

describe("CreateRoom", () => {
  it("says what is wrong with a name, and stops saying it once the name is changed", async () => {
    const onCreate = vi.fn(async () => {});
    render(<CreateRoom onCreate={onCreate} />);
    const input = screen.getByRole("textbox", { name: "New room" });
    await userEvent.type(input, "a{Enter}");
    expect(screen.getByRole("alert")).toBeInTheDocument();
    expect(input).toHaveAttribute("aria-invalid", "true");
    await userEvent.type(input, "bc");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(input).not.toHaveAttribute("aria-invalid");
    await userEvent.type(input, "{Enter}");
    expect(onCreate).toHaveBeenCalledWith("abc", false);
  });
});
