import { describe, expect, it } from "vitest";
import { applyReaction, withListed } from "./reactions";

describe("applyReaction", () => {
  it("adds in the order first used, counts people, and drops an emoji nobody has left", () => {
    let list = applyReaction([], "👍", "ann", true);
    list = applyReaction(list, "🎉", "bob", true);
    list = applyReaction(list, "👍", "bob", true);
    expect(list).toEqual([
      { emoji: "👍", count: 2, users: ["ann", "bob"] },
      { emoji: "🎉", count: 1, users: ["bob"] },
    ]);
    list = applyReaction(list, "👍", "ann", false);
    list = applyReaction(list, "🎉", "bob", false);
    expect(list).toEqual([{ emoji: "👍", count: 1, users: ["bob"] }]);
  });

  it("changes nothing when the same change comes again (a replay, or my own change's frame)", () => {
    const list = applyReaction([], "👍", "ann", true);
    expect(applyReaction(list, "👍", "ann", true)).toBe(list);
    expect(applyReaction(list, "🎉", "ann", false)).toBe(list);
  });
});

describe("withListed", () => {
  it("replaces the asked-about messages' reactions, dropping those listed with none", () => {
    const before = {
      a: [{ emoji: "👍", count: 1, users: ["ann"] }],
      b: [{ emoji: "🎉", count: 1, users: ["bob"] }],
    };
    const after = withListed(
      before,
      ["a", "c"],
      [{ id: "c", reactions: [{ emoji: "❤️", count: 1, users: ["cat"] }] }],
    );
    expect(after).toEqual({
      b: before.b,
      c: [{ emoji: "❤️", count: 1, users: ["cat"] }],
    });
  });
});
