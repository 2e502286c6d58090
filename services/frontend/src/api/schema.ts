/**
 * Checks a value against a JSON Schema: the subset of keywords the protocol schema uses,
 * so the frames the client accepts are exactly the ones the schema allows, without a
 * second, hand-written description of them. `KEYWORDS` lists that subset; a test keeps
 * the protocol schema within it.
 */

export interface JsonSchema {
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** Every keyword `matches` checks, plus those that only describe (nothing to check).
 * OpenAPI's `discriminator` names the property that tells a `oneOf`'s alternatives apart;
 * as each alternative requires its own constant there, `oneOf` alone checks it. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "$ref",
  "type",
  "const",
  "enum",
  "anyOf",
  "oneOf",
  "properties",
  "required",
  "items",
  "pattern",
  "minLength",
  "maxLength",
  "$defs",
  "$schema",
  "title",
  "description",
  "default",
  "examples",
  "discriminator",
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isRecord(value);
    case "array":
      return Array.isArray(value);
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

/** A local reference, "#/…" (a JSON Pointer into `root`). */
function resolve(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    node = isRecord(node) ? node[part.replaceAll("~1", "/").replaceAll("~0", "~")] : undefined;
  }
  if (!isRecord(node)) throw new Error(`unresolvable $ref ${ref}`);
  return node;
}

const patterns = new Map<string, RegExp>();

function matchesPattern(text: string, pattern: string): boolean {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, "u");
    patterns.set(pattern, regex);
  }
  return regex.test(text);
}

function matchesString(text: string, schema: JsonSchema): boolean {
  // JSON Schema counts lengths in code points, not UTF-16 units.
  const length = [...text].length;
  return (
    (schema.minLength === undefined || length >= schema.minLength) &&
    (schema.maxLength === undefined || length <= schema.maxLength) &&
    (schema.pattern === undefined || matchesPattern(text, schema.pattern))
  );
}

function matchesObject(value: Record<string, unknown>, schema: JsonSchema, root: JsonSchema): boolean {
  if (schema.required && !schema.required.every((name) => Object.hasOwn(value, name))) return false;
  return Object.entries(schema.properties ?? {}).every(
    ([name, property]) => !Object.hasOwn(value, name) || matches(value[name], property, root),
  );
}

/** Whether `value` satisfies `schema`; `root` is the document its `$ref`s point into. */
export function matches(value: unknown, schema: JsonSchema, root: JsonSchema): boolean {
  if (schema.$ref !== undefined && !matches(value, resolve(root, schema.$ref), root)) return false;
  if (schema.type !== undefined && ![schema.type].flat().some((type) => hasType(value, type))) return false;
  // Only primitive constants and enum values occur in the protocol, so identity suffices.
  if ("const" in schema && value !== schema.const) return false;
  if (schema.enum && !schema.enum.includes(value)) return false;
  if (schema.anyOf && !schema.anyOf.some((option) => matches(value, option, root))) return false;
  if (schema.oneOf && schema.oneOf.filter((option) => matches(value, option, root)).length !== 1) return false;
  if (typeof value === "string") return matchesString(value, schema);
  if (isRecord(value)) return matchesObject(value, schema, root);
  const items = schema.items;
  if (Array.isArray(value) && items) return value.every((item) => matches(item, items, root));
  return true;
}
