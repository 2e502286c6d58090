import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LoginPage } from "./LoginPage";

function answer(status: number, body: unknown) {
  return vi.fn().mockResolvedValue(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("LoginPage", () => {
  it("checks the server's rules before sending anything", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    render(<LoginPage onLoggedIn={() => {}} />);
    await userEvent.type(screen.getByLabelText("Username"), "a b");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(screen.getByLabelText("Username")).toHaveAccessibleDescription(/3–32 characters/);
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Use at least 8 characters.");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("shows the server's reason when it refuses", async () => {
    vi.stubGlobal("fetch", answer(401, { error: "invalid_credentials", detail: "wrong username or password" }));
    const onLoggedIn = vi.fn();
    render(<LoginPage onLoggedIn={onLoggedIn} />);
    await userEvent.type(screen.getByLabelText("Username"), "alice");
    await userEvent.type(screen.getByLabelText("Password"), "password123{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("wrong username or password");
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it("registers a new account and reports the user", async () => {
    const fetch = answer(201, { username: "alice" });
    vi.stubGlobal("fetch", fetch);
    const onLoggedIn = vi.fn();
    render(<LoginPage onLoggedIn={onLoggedIn} />);
    await userEvent.click(screen.getByRole("button", { name: "Register" }));
    expect(screen.getByRole("heading", { name: "Create an account" })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Username"), "alice");
    await userEvent.type(screen.getByLabelText("Password"), "password123");
    await userEvent.click(screen.getByRole("button", { name: "Register" }));
    await vi.waitFor(() => expect(onLoggedIn).toHaveBeenCalledWith({ username: "alice" }));
    expect(fetch).toHaveBeenCalledWith("/api/register", expect.objectContaining({ method: "POST" }));
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ username: "alice", password: "password123" });
  });
});
