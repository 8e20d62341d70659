import { REDACTED, type SettingsIssue } from "../errors";
import { KIND_EXPECTED } from "../helpers/kinds";
import {
  acceptedTypes,
  childSchema,
  isPlainObject,
  itemSchema,
  KIND_KEY,
  keyword,
  type SchemaNode,
} from "./json-schema";
import { lookup, type Prov } from "./provenance";
import type { StandardIssue } from "./standard";

/** Zod and valibot add these to Standard Schema issues; all optional. */
interface RichIssue extends StandardIssue {
  readonly code?: unknown;
  readonly expected?: unknown;
  readonly maximum?: unknown;
  readonly minimum?: unknown;
  readonly inclusive?: unknown;
  readonly origin?: unknown;
  readonly values?: unknown;
  readonly format?: unknown;
  readonly pattern?: unknown;
}

/** Converts a schema library's issue into a settings issue with location and expected/got. */
export function toSettingsIssue(
  issue: StandardIssue,
  input: unknown,
  root: SchemaNode,
  prov: Prov,
): SettingsIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    return typeof key === "number" ? key : String(key);
  });
  const { node, value, present } = locate(input, path, root);
  const kind = node === undefined ? undefined : keyword(node, KIND_KEY, root);
  const expected =
    (typeof kind === "string" ? KIND_EXPECTED[kind] : undefined) ??
    expectedOf(issue as RichIssue, node, root);
  const source = lookup(prov, path);
  return {
    code: "invalid",
    path,
    message: issue.message,
    ...(expected !== undefined
      ? { expected, received: present ? describe(value, kind === "secret") : "nothing" }
      : {}),
    ...(source ? { source } : {}),
  };
}

function locate(
  input: unknown,
  path: readonly (string | number)[],
  root: SchemaNode,
): { node: SchemaNode | undefined; value: unknown; present: boolean } {
  let node: SchemaNode | undefined = root;
  let value: unknown = input;
  let present = true;
  for (const part of path) {
    if (Array.isArray(value) && typeof part === "number") {
      node = node === undefined ? undefined : itemSchema(node, part, root);
      present = part < value.length;
      value = value[part];
    } else {
      node = node === undefined ? undefined : childSchema(node, String(part), root);
      present = isPlainObject(value) && Object.hasOwn(value, String(part));
      value = present ? (value as Record<string, unknown>)[String(part)] : undefined;
    }
  }
  return { node, value, present };
}

function expectedOf(
  issue: RichIssue,
  node: SchemaNode | undefined,
  root: SchemaNode,
): string | undefined {
  const bound = (word: "≤" | "<" | "≥" | ">", limit: unknown) => {
    const most = word === "≤" || word === "<" ? "at most" : "at least";
    if (issue.origin === "string") return `a string of ${most} ${String(limit)} characters`;
    if (issue.origin === "array" || issue.origin === "set") return `${most} ${String(limit)} items`;
    return `number ${word} ${String(limit)}`;
  };
  switch (issue.code) {
    case "too_big":
      return bound(issue.inclusive === false ? "<" : "≤", issue.maximum);
    case "too_small":
      return bound(issue.inclusive === false ? ">" : "≥", issue.minimum);
    case "invalid_value":
      if (Array.isArray(issue.values)) {
        const shown = issue.values.map((v) => JSON.stringify(v));
        return shown.length === 1 ? shown[0] : `one of ${shown.join(", ")}`;
      }
      return undefined;
    case "invalid_format":
      return issue.format === "regex" && issue.pattern !== undefined
        ? `a string matching ${String(issue.pattern)}`
        : `a valid ${String(issue.format)}`;
    case "invalid_type":
      if (typeof issue.expected === "string") return typeName(issue.expected);
      break;
    case "invalid_union":
      return fromSchema(node, root);
  }
  if (typeof issue.expected === "string" && issue.code === undefined) return issue.expected;
  return undefined;
}

function typeName(name: string): string {
  switch (name) {
    case "int":
      return "integer";
    case "record":
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    default:
      return name;
  }
}

function fromSchema(node: SchemaNode | undefined, root: SchemaNode): string | undefined {
  const types = acceptedTypes(node, root);
  if (types === undefined) return undefined;
  // `integer` implies `number` in the accepted set; name the narrower one only.
  const names = [...types].filter((t) => !(t === "number" && types.has("integer")));
  return names.map(typeName).join(" or ");
}

/** A short rendering of a found value for error messages. */
export function describe(value: unknown, hide: boolean): string {
  if (value === undefined) return "nothing";
  if (hide) return REDACTED;
  if (value === null) return "~ (null)";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isPlainObject(value)) return "a mapping";
  return typeof value;
}
