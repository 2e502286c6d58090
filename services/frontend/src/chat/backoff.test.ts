import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

const options = { baseMs: 500, maxMs: 10_000 };

describe("backoffDelay", () => {
  it("doubles the ceiling with each attempt up to the maximum", () => {
    const top = (attempt: number) => backoffDelay(attempt, () => 1, options);
    expect([0, 1, 2, 3, 4, 5, 6, 40].map(top)).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it("jitters between half the ceiling and the ceiling", () => {
    expect(backoffDelay(3, () => 0, options)).toBe(2000);
    expect(backoffDelay(3, () => 0.5, options)).toBe(3000);
    expect(backoffDelay(3, () => 0.999, options)).toBeLessThanOrEqual(4000);
  });

  it("spreads clients that retry at the same attempt", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, Math.random, options)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
