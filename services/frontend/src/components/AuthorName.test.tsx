/** Authors' display names: looked up in batches the server takes, each name once, and shown
 * beside the unchanging username. */
import { render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { limits } from "../api/protocol";
import { useDisplayNames } from "../chat/displayNames";
import { json } from "../testing/http";
import { AuthorName, DisplayNamesContext } from "./AuthorName";

let asked: string[][];

beforeEach(() => {
  asked = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string) => {
      const names = new URL(path, "http://chat").searchParams.getAll("names");
      asked.push(names);
      const users = names.map((username) => (username === "u1" ? { username, display_name: "Una" } : { username }));
      return json({ users });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function Authors({ users }: { users: string[] }) {
  const names = useDisplayNames(users);
  return (
    <DisplayNamesContext.Provider value={names}>
      <AuthorName user="u1" />
      <AuthorName user="u2" />
    </DisplayNamesContext.Provider>
  );
}

it("asks for each author once, in batches the server takes, and shows a display name beside the username", async () => {
  const users = Array.from({ length: limits.users_lookup_max + 5 }, (_, i) => `u${i}`);
  const { rerender } = render(<Authors users={[...users, "u1"]} />);
  expect(await screen.findByText("Una")).toHaveTextContent("Una @u1");
  expect(screen.getByText("u2")).toHaveClass("author");
  expect(asked.map((batch) => batch.length)).toEqual([limits.users_lookup_max, 5]);
  rerender(<Authors users={[...users, "newcomer"]} />);
  await waitFor(() => expect(asked).toHaveLength(3));
  expect(asked[2]).toEqual(["newcomer"]);
});
