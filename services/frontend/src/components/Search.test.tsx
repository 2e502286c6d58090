/** The search box against a stubbed fetch: results with their matches marked (never markup),
 * a result among the messages around it, and the server's refusal shown. */
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, SearchHit } from "../api/types";
import { json } from "../testing/http";
import { Search } from "./Search";

function message(id: string, text: string, room = "general"): ChatMessage {
  return { id, room, user: "bob", text, ts: 1_700_000_000_000, client_id: `c${id}`, seq: 1 };
}

const HIT: SearchHit = {
  message: message("5-0", "the <b>release</b> is out"),
  snippet: [
    { text: "the <b>", match: false },
    { text: "release", match: true },
    { text: "</b> is out", match: false },
  ],
};

let requests: string[];
let answer: (path: string) => Response;

beforeEach(() => {
  requests = [];
  answer = (path) => {
    if (path.startsWith("/api/search?")) return json({ results: [HIT] });
    if (path === "/api/rooms/general/messages/5-0/context?limit=50") {
      return json({ messages: [message("4-0", "before it"), HIT.message, message("6-0", "after it")] });
    }
    return json({ error: "not_found", detail: path }, 404);
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string) => {
      requests.push(path);
      return answer(path);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderSearch(onOpen = vi.fn()) {
  render(<Search me="ann" label={(room) => `#${room}`} onOpen={onOpen} />);
  return onOpen;
}

describe("Search", () => {
  it("lists the results with the matched words marked, the snippet as text", async () => {
    renderSearch();
    await userEvent.type(screen.getByRole("searchbox", { name: "Search messages" }), "release{Enter}");
    const results = await screen.findByRole("complementary", { name: "Results for “release”" });
    expect(requests).toEqual(["/api/search?q=release"]);
    const hit = within(results).getByRole("button", { name: /#general · bob/ });
    expect(within(hit).getByText("release").tagName).toBe("MARK");
    expect(hit.textContent).toContain("the <b>release</b> is out"); // shown, not parsed
    expect(hit.querySelector("b")).toBeNull();
  });

  it("opens a result among the messages around it, and the conversation from there", async () => {
    const onOpen = renderSearch();
    await userEvent.type(screen.getByRole("searchbox", { name: "Search messages" }), "release{Enter}");
    await userEvent.click(await screen.findByRole("button", { name: /#general · bob/ }));
    const around = await screen.findByRole("region", { name: "Around the result in #general" });
    const items = await within(around).findAllByRole("listitem");
    expect(items.map((item) => item.getAttribute("aria-current"))).toEqual([null, "true", null]);
    await userEvent.click(within(around).getByRole("button", { name: "Open #general" }));
    expect(onOpen).toHaveBeenCalledWith("general");
    expect(screen.queryByRole("complementary")).toBeNull();
  });

  it("shows why a search could not run, and nothing when nothing matches", async () => {
    answer = () => json({ error: "history_unavailable", detail: "history is unavailable; retry" }, 503);
    renderSearch();
    const box = screen.getByRole("searchbox", { name: "Search messages" });
    await userEvent.type(box, "release{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("history is unavailable; retry");
    answer = () => json({ results: [] });
    await userEvent.type(box, "{Enter}");
    expect(await screen.findByText("No messages match.")).toBeVisible();
  });
});
