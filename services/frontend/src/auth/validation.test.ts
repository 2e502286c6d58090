import { describe, expect, it } from "vitest";
import { limits } from "../api/protocol";
import { nameError, passwordError } from "./validation";

describe("the name and password rules are the server's (its generated limits)", () => {
  it("takes names of the server's lengths and characters, and nothing else", () => {
    for (const length of [limits.name_min_length, limits.name_max_length]) {
      expect(nameError("a".repeat(length)), `${length} characters`).toBeNull();
    }
    for (const length of [limits.name_min_length - 1, limits.name_max_length + 1]) {
      expect(nameError("a".repeat(length)), `${length} characters`).toBe(
        `Use ${limits.name_min_length}–${limits.name_max_length} characters: letters, digits, _ . -.`,
      );
    }
    expect(nameError("Ann_b.c-9")).toBeNull();
    for (const name of ["no spaces", "dm:ann:bob", "ünï"]) expect(nameError(name), name).not.toBeNull();
  });

  it("takes passwords of the server's lengths", () => {
    expect(passwordError("p".repeat(limits.password_min_length))).toBeNull();
    expect(passwordError("p".repeat(limits.password_max_length))).toBeNull();
    expect(passwordError("p".repeat(limits.password_min_length - 1))).toBe(
      `Use at least ${limits.password_min_length} characters.`,
    );
    expect(passwordError("p".repeat(limits.password_max_length + 1))).toBe(
      `Use at most ${limits.password_max_length} characters.`,
    );
  });
});
