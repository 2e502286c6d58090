/** The members, people and account panels against a stubbed fetch: what each lists, what it
 * sends, and the server's refusals shown where they happened. */
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { limits } from "../api/protocol";
import { json } from "../testing/http";
import { AccountPanel } from "./AccountPanel";
import { MembersPanel } from "./MembersPanel";
import { PeoplePanel } from "./PeoplePanel";

type Sent = { method: string; path: string; body?: unknown };
let sent: Sent[];
let answer: (request: Sent) => Response;

beforeEach(() => {
  sent = [];
  answer = (request) => json({ error: "not_found", detail: request.path }, 404);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string, init: RequestInit) => {
      const request = { method: init.method ?? "GET", path, body: init.body ? JSON.parse(String(init.body)) : undefined };
      sent.push(request);
      return answer(request);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("MembersPanel", () => {
  const props = { room: "board", label: "# board", me: "ann", onMessage: vi.fn(), onClose: vi.fn() };

  it("lists members online first as the server orders them, and reads them again on a change", async () => {
    answer = () =>
      json({
        members: [
          { username: "ann", online: true },
          { username: "zoe", display_name: "Zoe Q", online: false },
        ],
        total: 2,
      });
    const { rerender } = render(<MembersPanel {...props} isPrivate joined changes={0} />);
    const list = await screen.findByRole("list", { name: "Members" });
    expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "ann (you)",
      "Zoe Q @zoeMessageRemove",
    ]);
    expect(within(list).getAllByRole("img").map((dot) => dot.getAttribute("aria-label"))).toEqual(["online", "away"]);
    rerender(<MembersPanel {...props} isPrivate joined changes={1} />);
    await waitFor(() => expect(sent.filter((r) => r.path === "/api/rooms/board/members?offset=0")).toHaveLength(2));
  });

  it("adds and removes in a private room, and shows a refusal", async () => {
    answer = (request) => {
      if (request.method === "GET") return json({ members: [{ username: "bob", online: true }], total: 1 });
      if (request.method === "DELETE") return new Response(null, { status: 204 });
      return json({ error: "unknown_user", detail: "no user named 'nobody'" }, 404);
    };
    render(<MembersPanel {...props} isPrivate joined changes={0} />);
    await userEvent.click(await screen.findByRole("button", { name: "Remove bob" }));
    expect(sent).toContainEqual({ method: "DELETE", path: "/api/rooms/board/members/bob", body: undefined });
    await userEvent.type(screen.getByRole("textbox", { name: "Add a member by username" }), "nobody{Enter}");
    expect(sent).toContainEqual({ method: "POST", path: "/api/rooms/board/members", body: { username: "nobody" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("no user named 'nobody'");
  });

  it("offers no removing in a public room, and no adding to one I am not in", async () => {
    answer = () => json({ members: [{ username: "bob", online: true }], total: 1 });
    render(<MembersPanel {...props} isPrivate={false} joined={false} changes={0} />);
    expect(await screen.findByRole("button", { name: "Message bob" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Remove bob" })).toBeNull();
    expect(screen.queryByRole("textbox", { name: "Add a member by username" })).toBeNull();
  });
});

describe("PeoplePanel", () => {
  const others = Array.from({ length: limits.dm_max_members + 1 }, (_, i) => ({ username: `user${i}` }));

  it("finds people by the start of their name, me left out, and messages one", async () => {
    answer = () => json({ people: [{ username: "ann" }, { username: "annika", display_name: "Annika B" }] });
    const onMessage = vi.fn();
    render(<PeoplePanel me="ann" onMessage={onMessage} onMessageGroup={vi.fn()} onClose={vi.fn()} />);
    await userEvent.type(screen.getByRole("searchbox", { name: "Find people" }), "ann");
    await waitFor(() => expect(sent.at(-1)?.path).toBe("/api/people?prefix=ann"));
    const list = screen.getByRole("list", { name: "People" });
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(1));
    await userEvent.click(within(list).getByRole("button", { name: "Message annika" }));
    expect(onMessage).toHaveBeenCalledWith("annika");
  });

  it("picks two to the group's limit for a group message", async () => {
    answer = () => json({ people: others });
    const onMessageGroup = vi.fn(async () => {});
    render(<PeoplePanel me="ann" onMessage={vi.fn()} onMessageGroup={onMessageGroup} onClose={vi.fn()} />);
    const boxes = await screen.findAllByRole("checkbox");
    await userEvent.click(boxes[0]!);
    expect(screen.queryByRole("button", { name: /^Message user0, / })).toBeNull();
    for (const box of boxes.slice(1, limits.dm_max_members - 1)) await userEvent.click(box);
    expect(boxes[limits.dm_max_members - 1]).toBeDisabled();
    const chosen = others.slice(0, limits.dm_max_members - 1).map((p) => p.username);
    await userEvent.click(screen.getByRole("button", { name: `Message ${chosen.join(", ")}` }));
    expect(onMessageGroup).toHaveBeenCalledWith(chosen);
  });
});

describe("AccountPanel", () => {
  it("saves the display name and says so", async () => {
    answer = () => new Response(null, { status: 204 });
    const onDisplayName = vi.fn();
    render(<AccountPanel me="ann" displayName="" onDisplayName={onDisplayName} onLoggedOut={vi.fn()} onClose={vi.fn()} />);
    await userEvent.type(screen.getByRole("textbox", { name: "Shown beside your username" }), " Ann B {Enter}");
    expect(sent).toContainEqual({ method: "PUT", path: "/api/me/display-name", body: { display_name: " Ann B " } });
    expect(await screen.findByRole("status")).toHaveTextContent("Display name saved.");
    expect(onDisplayName).toHaveBeenCalledWith("Ann B");
  });

  it("checks a new password before sending it, and shows a wrong current one", async () => {
    answer = () => json({ error: "wrong_password", detail: "the current password is wrong" }, 403);
    render(<AccountPanel me="ann" displayName="" onDisplayName={vi.fn()} onLoggedOut={vi.fn()} onClose={vi.fn()} />);
    await userEvent.type(screen.getByLabelText("Current password"), "old password");
    await userEvent.type(screen.getByLabelText("New password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(screen.getByRole("alert")).toHaveTextContent(`New password: Use at least ${limits.password_min_length}`);
    expect(sent).toEqual([]);
    await userEvent.type(screen.getByLabelText("New password"), " but longer now");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the current password is wrong");
    expect(sent).toEqual([
      {
        method: "POST",
        path: "/api/me/password",
        body: { current_password: "old password", new_password: "short but longer now" },
      },
    ]);
  });

  it("logs out everywhere", async () => {
    answer = () => new Response(null, { status: 204 });
    const onLoggedOut = vi.fn();
    render(<AccountPanel me="ann" displayName="" onDisplayName={vi.fn()} onLoggedOut={onLoggedOut} onClose={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Log out everywhere" }));
    await waitFor(() => expect(onLoggedOut).toHaveBeenCalled());
    expect(sent).toEqual([{ method: "POST", path: "/api/logout-all", body: undefined }]);
  });
});
