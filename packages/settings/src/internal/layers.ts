import type { SettingsIssue, SettingsSource } from "../errors";
import {
  acceptedTypes,
  childSchema,
  clonePlain,
  isPlainObject,
  objectShape,
  type SchemaNode,
  typeAccepted,
} from "./json-schema";
import { lookup, type Prov, single, wrap } from "./provenance";
import { FORBIDDEN_KEYS, type Limits, parseYamlSource } from "./yaml-source";

/** A value with the provenance of each of its parts. */
export interface Layer {
  readonly value: Record<string, unknown>;
  readonly prov: Prov;
}

/**
 * The value every load starts from: each property's JSON Schema `default`, and
 * for required object properties without one, an object built the same way (so
 * nested defaults apply even when the parent object has no `.default()`).
 */
export function skeleton(
  node: SchemaNode | undefined,
  root: SchemaNode,
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > 32) return out;
  const shape = objectShape(node, root);
  for (const [key, child] of shape.properties) {
    const fallback = defaultOf(child);
    if (fallback !== undefined) {
      out[key] = clonePlain(fallback);
    } else if (shape.required.has(key) && onlyObject(child, root)) {
      out[key] = skeleton(child, root, depth + 1);
    }
  }
  return out;
}

function onlyObject(node: SchemaNode, root: SchemaNode): boolean {
  const types = acceptedTypes(node, root);
  return types !== undefined && types.size === 1 && types.has("object");
}

function defaultOf(node: SchemaNode): unknown {
  if (node.default !== undefined) return node.default;
  // Some libraries put the default on a branch of `anyOf` (nullable fields).
  for (const branch of node.anyOf ?? node.oneOf ?? []) {
    if (branch.default !== undefined) return branch.default;
  }
  return undefined;
}

/**
 * Merges `top` over `base`: plain objects merge key by key, everything else
 * (arrays included) is replaced whole, provenance following the value.
 */
export function merge(base: Layer, top: Layer): Layer {
  const prov: Prov = { ...base.prov };
  const value = mergeValue(base.value, top.value, base.prov, top.prov, prov) as Record<
    string,
    unknown
  >;
  return { value, prov };
}

function mergeValue(
  a: unknown,
  b: unknown,
  pa: Prov | undefined,
  pb: Prov | undefined,
  out: Prov,
): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) {
    Object.assign(out, { src: pb?.src, keySrc: pb?.keySrc ?? pa?.keySrc, kids: pb?.kids });
    return b;
  }
  const result: Record<string, unknown> = { ...a };
  const kids = new Map(pa?.kids ?? []);
  if (pb?.src) out.src = pb.src;
  for (const key of Object.keys(b)) {
    const child: Prov = {};
    const pak = pa?.kids?.get(key);
    const pbk = pb?.kids?.get(key) ?? (pb?.src ? { src: pb.src } : undefined);
    let merged: unknown;
    if (Object.hasOwn(result, key)) {
      merged = mergeValue(result[key], b[key], pak, pbk, child);
    } else {
      merged = b[key];
      Object.assign(child, pbk ?? {});
    }
    // Defined, not assigned: a `__proto__` key must stay data so preflight can report it.
    Object.defineProperty(result, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if (pbk?.keySrc) child.keySrc = pbk.keySrc;
    kids.set(key, child);
  }
  out.kids = kids;
  return result;
}

/**
 * Turns a text value from an environment variable or `--set` into the type the
 * schema wants. Strings stay exactly as written; other values are read as a YAML
 * scalar or flow collection (`8080`, `false`, `[a, b]`, `{ x: 1 }`). Input that
 * is unsafe (non-finite numbers, prototype keys, alias bombs) comes back as
 * as {@link Unsafe}.
 */
export function coerce(
  raw: string,
  node: SchemaNode | undefined,
  root: SchemaNode,
  limits: Limits,
): unknown {
  const accepted = acceptedTypes(node, root);
  // The same checks as for files (aliases, prototype keys, depth); a value that
  // fails them stays text, and the schema then reports what it expected.
  const result = parseYamlSource(raw, "", limits, { anyRoot: true });
  const unsafe = result.issues.find((i) => i.code !== "yaml");
  if (unsafe) return new Unsafe(unsafe);
  if (result.value === undefined) return raw;
  const parsed = result.value.value;
  if (typeof parsed === "string") return raw;
  if (accepted?.has("string") && !typeAccepted(accepted, parsed)) return raw;
  if (accepted?.has("string") && parsed === null) return raw;
  return parsed;
}

/** Marks a text value rejected for safety, with the reason. */
export class Unsafe {
  constructor(readonly issue: SettingsIssue) {}
}

/** Options for reading settings from environment variables. */
export interface EnvLayerOptions {
  readonly prefix: string;
  readonly separator: string;
  readonly vars: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads `PREFIX_SECTION__KEY=value` variables. Segments match declared keys
 * case-insensitively; inside maps (arbitrary keys) the segment is lower-cased.
 */
export function envLayer(
  options: EnvLayerOptions,
  root: SchemaNode,
  limits: Limits,
  reportUnknown: boolean,
  issues: SettingsIssue[],
): Layer[] {
  const layers: Layer[] = [];
  const names = Object.keys(options.vars)
    .filter((name) => name.startsWith(options.prefix) && name.length > options.prefix.length)
    .sort();
  for (const name of names) {
    const raw = options.vars[name];
    // Workers pass their whole `env`, bindings included: only text values are settings.
    if (typeof raw !== "string") continue;
    const source: SettingsSource = { kind: "env", name };
    const segments = name.slice(options.prefix.length).split(options.separator);
    const resolved = resolvePath(segments, root, (seg, shape) => {
      for (const key of shape.properties.keys()) {
        if (key.toUpperCase() === seg.toUpperCase()) return key;
      }
      return shape.extra !== false ? seg.toLowerCase() : undefined;
    });
    if (!addLayer(resolved, raw, source, root, limits, reportUnknown, issues, layers)) continue;
  }
  return layers;
}

/**
 * Reads `--set key.path=value` (or `--set=key.path=value`) overrides; other
 * arguments belong to the application and are left alone.
 */
export function argsLayer(
  args: readonly string[],
  root: SchemaNode,
  limits: Limits,
  reportUnknown: boolean,
  issues: SettingsIssue[],
): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let text: string | undefined;
    if (arg === "--set") {
      text = args[++i];
      if (text === undefined) {
        issues.push({
          code: "invalid",
          path: [],
          message: "--set needs a key.path=value argument",
        });
        continue;
      }
    } else if (arg.startsWith("--set=")) {
      text = arg.slice("--set=".length);
    } else {
      continue;
    }
    const source: SettingsSource = { kind: "arg", arg: text };
    const eq = text.indexOf("=");
    if (eq <= 0) {
      issues.push({
        code: "invalid",
        path: [],
        message: "expected key.path=value",
        source,
      });
      continue;
    }
    const segments = text.slice(0, eq).split(".");
    const resolved = resolvePath(segments, root, (seg, shape) =>
      shape.properties.has(seg) || shape.extra !== false ? seg : undefined,
    );
    addLayer(resolved, text.slice(eq + 1), source, root, limits, reportUnknown, issues, layers);
  }
  return layers;
}

type Resolved =
  | { readonly ok: true; readonly path: string[]; readonly node: SchemaNode | undefined }
  | {
      readonly ok: false;
      readonly path: string[];
      readonly reason: "unknown" | "forbidden" | "empty";
    };

function resolvePath(
  segments: readonly string[],
  root: SchemaNode,
  match: (segment: string, shape: ReturnType<typeof objectShape>) => string | undefined,
): Resolved {
  const path: string[] = [];
  let node: SchemaNode | undefined = root;
  for (const segment of segments) {
    if (segment === "") return { ok: false, path, reason: "empty" };
    // Before matching: a strict object would otherwise call it merely unknown.
    if (FORBIDDEN_KEYS.has(segment.toLowerCase()))
      return { ok: false, path: [...path, segment], reason: "forbidden" };
    const key = match(segment, objectShape(node, root));
    if (key === undefined) return { ok: false, path: [...path, segment], reason: "unknown" };
    if (FORBIDDEN_KEYS.has(key)) return { ok: false, path: [...path, key], reason: "forbidden" };
    path.push(key);
    node = childSchema(node, key, root);
  }
  return { ok: true, path, node };
}

function addLayer(
  resolved: Resolved,
  raw: string,
  source: SettingsSource,
  root: SchemaNode,
  limits: Limits,
  reportUnknown: boolean,
  issues: SettingsIssue[],
  layers: Layer[],
): boolean {
  if (!resolved.ok) {
    if (resolved.reason === "unknown" && !reportUnknown) return false;
    issues.push({
      code: resolved.reason === "forbidden" ? "forbidden_key" : "unknown_key",
      path: resolved.path,
      message:
        resolved.reason === "forbidden"
          ? `the key "${resolved.path.at(-1)}" is not allowed in settings`
          : resolved.reason === "empty"
            ? "empty key segment"
            : "unknown key",
      source,
    });
    return false;
  }
  if (raw.length > limits.maxBytes) {
    issues.push({
      code: "too_large",
      path: resolved.path,
      message: `value is larger than the limit of ${limits.maxBytes} bytes`,
      source,
    });
    return false;
  }
  let value: unknown = coerce(raw, resolved.node, root, limits);
  if (value instanceof Unsafe) {
    const unsafe = value.issue;
    issues.push({
      code: unsafe.code,
      path: [...resolved.path, ...unsafe.path],
      message: unsafe.message,
      ...(unsafe.expected !== undefined ? { expected: unsafe.expected } : {}),
      ...(unsafe.received !== undefined ? { received: unsafe.received } : {}),
      source,
    });
    return false;
  }
  const leaf = single(source);
  for (let i = resolved.path.length - 1; i >= 0; i--) value = { [resolved.path[i]!]: value };
  if (resolved.path.length === 0) {
    issues.push({ code: "invalid", path: [], message: "an override needs a key", source });
    return false;
  }
  layers.push({ value: value as Record<string, unknown>, prov: wrap(resolved.path, leaf) });
  return true;
}

export { lookup };
