import { describe, expect, it } from "vitest";
import { protocolSchema } from "./protocol";
import { KEYWORDS, matches, type JsonSchema } from "./schema";

function check(value: unknown, schema: JsonSchema, root: JsonSchema = schema): boolean {
  return matches(value, schema, root);
}

/** Every keyword used anywhere in `schema`, descending only where `matches` does. */
function* keywords(schema: object): Generator<string> {
  for (const [key, value] of Object.entries(schema)) {
    yield key;
    const subschemas: object[] =
      key === "$defs" || key === "properties"
        ? Object.values(value as object)
        : key === "items"
          ? [value as object]
          : key === "anyOf" || key === "oneOf"
            ? (value as object[])
            : [];
    for (const sub of subschemas) yield* keywords(sub);
  }
}

describe("matches", () => {
  it("checks every keyword the protocol schema uses", () => {
    expect(new Set([...keywords(protocolSchema)].filter((key) => !KEYWORDS.has(key)))).toEqual(new Set());
  });

  it("checks types, integers apart from other numbers", () => {
    expect(check(1, { type: "integer" })).toBe(true);
    expect(check(1.5, { type: "integer" })).toBe(false);
    expect(check(1.5, { type: "number" })).toBe(true);
    expect(check("1", { type: "number" })).toBe(false);
    expect(check(null, { type: "null" })).toBe(true);
    expect(check([], { type: "object" })).toBe(false);
    expect(check([], { type: "array" })).toBe(true);
    expect(check(true, { type: "boolean" })).toBe(true);
    expect(check(null, { type: ["string", "null"] })).toBe(true);
  });

  it("checks constants and enums", () => {
    expect(check("ack", { const: "ack" })).toBe(true);
    expect(check("pong", { const: "ack" })).toBe(false);
    expect(check("b", { enum: ["a", "b"] })).toBe(true);
    expect(check("c", { enum: ["a", "b"] })).toBe(false);
  });

  it("checks string lengths in characters and patterns", () => {
    const schema = { type: "string", minLength: 2, maxLength: 3, pattern: "^[a-z😀]+$" };
    expect(check("ab", schema)).toBe(true);
    expect(check("a", schema)).toBe(false);
    expect(check("abcd", schema)).toBe(false);
    expect(check("a😀😀", schema)).toBe(true); // 3 characters, 5 UTF-16 units
    expect(check("AB", schema)).toBe(false);
  });

  it("checks required and present properties, and lets unknown ones through", () => {
    const schema = { type: "object", properties: { a: { type: "string" }, b: { type: "integer" } }, required: ["a"] };
    expect(check({ a: "x" }, schema)).toBe(true);
    expect(check({ a: "x", b: 1, extra: true }, schema)).toBe(true);
    expect(check({ b: 1 }, schema)).toBe(false);
    expect(check({ a: "x", b: "1" }, schema)).toBe(false);
  });

  it("checks array items", () => {
    const schema = { type: "array", items: { type: "string" } };
    expect(check(["a", "b"], schema)).toBe(true);
    expect(check(["a", 1], schema)).toBe(false);
  });

  it("wants one alternative of anyOf, exactly one of oneOf", () => {
    const anyOf = { anyOf: [{ type: "string" }, { type: "null" }] };
    expect(check(null, anyOf)).toBe(true);
    expect(check(1, anyOf)).toBe(false);
    const oneOf = { oneOf: [{ type: "number" }, { type: "integer" }] };
    expect(check(1.5, oneOf)).toBe(true);
    expect(check(1, oneOf)).toBe(false);
  });

  it("follows $refs into the root document", () => {
    const root = { $defs: { "a/b": { type: "string" } }, properties: { x: { $ref: "#/$defs/a~1b" } } };
    expect(check({ x: "s" }, root)).toBe(true);
    expect(check({ x: 1 }, root)).toBe(false);
    expect(() => check({ x: 1 }, { properties: { x: { $ref: "#/$defs/missing" } } })).toThrow("unresolvable");
  });
});
