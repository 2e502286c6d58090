import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../api/types";
import { dayLabel, GROUP_WINDOW_MS, startOfDay, timeline } from "./timeline";

const today = new Date(2026, 5, 15).getTime();
const at = (day: number, hour: number, minute = 0) => new Date(2026, 5, day, hour, minute).getTime();

function msg(id: number, user: string, ts: number): ChatMessage {
  return { id: `${id}-0`, room: "general", user, text: `m${id}`, ts, client_id: `c${id}`, seq: id };
}

describe("dayLabel", () => {
  it("names today and yesterday, and dates further back", () => {
    expect(dayLabel(today, today)).toBe("Today");
    expect(dayLabel(startOfDay(at(14, 23)), today)).toBe("Yesterday");
    expect(dayLabel(startOfDay(at(2, 9)), today)).toMatch(/June|2|6/);
    expect(dayLabel(new Date(2025, 11, 31).getTime(), today)).toMatch(/2025/);
  });
});

describe("timeline", () => {
  it("puts a separator before the first message of each day", () => {
    const items = timeline([msg(1, "ann", at(14, 22)), msg(2, "ann", at(15, 9)), msg(3, "bob", at(15, 10))], today);
    expect(items.map((i) => (i.kind === "day" ? i.label : i.message.id))).toEqual([
      "Yesterday",
      "1-0",
      "Today",
      "2-0",
      "3-0",
    ]);
  });

  it("groups consecutive messages of one person within the window, never across a day", () => {
    const items = timeline(
      [
        msg(1, "ann", at(15, 9, 0)),
        msg(2, "ann", at(15, 9, 4)),
        msg(3, "ann", at(15, 9, 4) + GROUP_WINDOW_MS),
        msg(4, "bob", at(15, 9, 10)),
        msg(5, "ann", at(15, 9, 11)),
      ],
      today,
    );
    const continued = items.flatMap((i) => (i.kind === "message" ? [i.continued] : []));
    expect(continued).toEqual([false, true, false, false, false]);
    const overMidnight = timeline([msg(1, "ann", at(14, 23, 59)), msg(2, "ann", at(15, 0, 1))], today);
    expect(overMidnight.filter((i) => i.kind === "message" && i.continued)).toEqual([]);
  });
});
