import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { READ_EVERY_MS, ReadThrottle } from "./reads";

let sent: Array<[string, number]>;
let throttle: ReadThrottle;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  throttle = new ReadThrottle((room, seq) => sent.push([room, seq]));
});

afterEach(() => {
  throttle.stop();
  vi.useRealTimers();
});

describe("ReadThrottle", () => {
  it("sends the first position at once, then the newest per room once per interval", () => {
    throttle.report("general", 3);
    expect(sent).toEqual([["general", 3]]);
    throttle.report("general", 4);
    throttle.report("general", 6);
    throttle.report("random", 2);
    throttle.report("general", 5); // an older position never wins
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(READ_EVERY_MS);
    expect(sent).toEqual([
      ["general", 3],
      ["general", 6],
      ["random", 2],
    ]);
  });

  it("sends at once again after a quiet interval", () => {
    throttle.report("general", 1);
    vi.advanceTimersByTime(2 * READ_EVERY_MS);
    throttle.report("general", 2);
    expect(sent).toEqual([
      ["general", 1],
      ["general", 2],
    ]);
  });

  it("stop drops what waits", () => {
    throttle.report("general", 1);
    throttle.report("general", 2);
    throttle.stop();
    vi.advanceTimersByTime(READ_EVERY_MS);
    expect(sent).toEqual([["general", 1]]);
  });
});
