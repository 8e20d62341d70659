/**
 * Limits that keep serialising hostile or huge values bounded. Values past a
 * limit are cut and marked, never thrown on.
 */
export interface SerializeLimits {
  /** Nesting depth below the record's fields; deeper values print as `"[Object]"` / `"[Array]"`. Default 10. */
  maxDepth: number;
  /** Characters kept of a string; the rest is replaced by `…[truncated N chars]`. Default 16384. */
  maxStringLength: number;
  /** Items kept of an array, Set or Map; the rest is summarised as `"…N more"`. Default 1000. */
  maxArrayLength: number;
  /** Keys kept of an object. Default 1000. */
  maxObjectKeys: number;
  /**
   * UTF-8 bytes of one whole record as written (a JSON or text line; for
   * record sinks and span events, the record as a JSON line). A record over it
   * keeps its envelope (time, level, message, trace ids, service) and has its
   * largest fields cut first; a message is cut only when the envelope alone
   * would not fit. `Infinity` turns the cap off. Default 65536 (64 KiB).
   */
  maxLineBytes: number;
}

/** The default {@link SerializeLimits}. */
export const DEFAULT_SERIALIZE_LIMITS: Readonly<SerializeLimits> = {
  maxDepth: 10,
  maxStringLength: 16_384,
  maxArrayLength: 1000,
  maxObjectKeys: 1000,
  maxLineBytes: 65_536,
};

/** Key matcher for redaction: lower-cased key names, or `null` when nothing is redacted. */
export type RedactSet = ReadonlySet<string> | null;

/** What a serialiser needs besides the value. */
export interface SerializeOptions {
  limits: SerializeLimits;
  redact: RedactSet;
  redactWith: string;
}

// Characters that force the slow path of string quoting: controls, quote,
// backslash, and surrogates (a lone surrogate must be escaped).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

// Up to this length a loop over the characters decides faster than the regular
// expression (most keys, messages and ids are shorter).
const SHORT_STRING = 40;

/** Quotes a string as a JSON string literal. */
export function quoteJson(s: string): string {
  if (s.length > SHORT_STRING) return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // The characters of NEEDS_ESCAPE: controls, quote, backslash, surrogates.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s);
    }
  }
  return `"${s}"`;
}

/** Cuts a string to the configured length, saying how much was cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

/** Whether `value` is an Error, including one from another realm (an iframe, a `vm` context). */
export function isErrorValue(value: object): boolean {
  return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
}

function isRedacted(key: string, redact: RedactSet): boolean {
  if (redact === null) return false;
  return redact.has(key.toLowerCase());
}

/** `[Throws: message]` for a value whose reading threw. */
export function describeThrow(error: unknown): string {
  try {
    return `[Throws: ${error instanceof Error ? error.message : String(error)}]`;
  } catch {
    return "[Throws]";
  }
}

/**
 * Serialises any value to JSON text, safely: cycles become `"[Circular]"`,
 * BigInt a decimal string, Errors `{ type, message, stack, code?, cause? }`,
 * Map an object, Set an array, non-finite numbers a string, getters that
 * throw `"[Throws: …]"`; redacted keys are replaced at any depth; the limits
 * cap depth, string length and collection sizes. Never throws.
 */
export function serializeJson(value: unknown, options: SerializeOptions): string {
  try {
    return writeValue(value, 0, [], options);
  } catch (error) {
    // Only a bug or a hostile Proxy gets here; keep the log call alive.
    return quoteJson(describeThrow(error));
  }
}

/**
 * One field's value as {@link serializeJson} writes it inside a record's
 * fields (one level down: the depth limit counts from the record). Unlike
 * {@link serializeJson} it throws where serialising the whole record would
 * have replaced the record with `"[Throws: …]"`.
 *
 * @param value - the field's value.
 * @param options - limits and redaction.
 * @returns the value as JSON text.
 */
export function fieldValueJson(value: unknown, options: SerializeOptions): string {
  return writeValue(value, 1, [], options);
}

function writeValue(
  value: unknown,
  depth: number,
  ancestors: object[],
  o: SerializeOptions,
): string {
  switch (typeof value) {
    case "string":
      return quoteJson(truncate(value, o.limits.maxStringLength));
    case "number":
      return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `"${value.toString()}"`;
    case "undefined":
      return "null";
    case "symbol":
      return quoteJson(value.toString());
    case "function":
      return quoteJson(`[Function: ${value.name || "anonymous"}]`);
  }
  if (value === null) return "null";
  const obj = value as object;
  if (ancestors.includes(obj)) return '"[Circular]"';
  if (depth >= o.limits.maxDepth) return Array.isArray(obj) ? '"[Array]"' : '"[Object]"';
  ancestors.push(obj);
  try {
    return writeObject(obj, depth, ancestors, o);
  } catch (error) {
    // A hostile value (Proxy traps, throwing toJSON lookups) spoils only itself.
    return quoteJson(describeThrow(error));
  } finally {
    ancestors.pop();
  }
}

function writeObject(obj: object, depth: number, ancestors: object[], o: SerializeOptions): string {
  if (Array.isArray(obj)) return writeItems(obj, obj.length, depth, ancestors, o);
  if (obj instanceof Date) {
    const t = obj.getTime();
    return Number.isNaN(t) ? '"Invalid Date"' : `"${obj.toISOString()}"`;
  }
  if (isErrorValue(obj)) return writeError(obj as Error, depth, ancestors, o);
  if (obj instanceof Map) return writeMap(obj, depth, ancestors, o);
  if (obj instanceof Set) return writeItems(obj, obj.size, depth, ancestors, o);
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    const name = obj.constructor?.name ?? "Buffer";
    return `"[${name}(${obj.byteLength})]"`;
  }
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    let replaced: unknown;
    try {
      replaced = toJSON.call(obj);
    } catch (error) {
      return quoteJson(describeThrow(error));
    }
    if (replaced !== obj) return writeValue(replaced, depth, ancestors, o);
  }
  return writeEntries(obj, depth, ancestors, o);
}

function writeEntries(
  obj: object,
  depth: number,
  ancestors: object[],
  o: SerializeOptions,
): string {
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch (error) {
    return quoteJson(describeThrow(error));
  }
  let out = "{";
  let first = true;
  const n = Math.min(keys.length, o.limits.maxObjectKeys);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    let text: string;
    if (isRedacted(key, o.redact)) {
      text = quoteJson(o.redactWith);
    } else {
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[key];
      } catch (error) {
        v = describeThrow(error);
      }
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      text = writeValue(v, depth + 1, ancestors, o);
    }
    out += `${first ? "" : ","}${quoteJson(key)}:${text}`;
    first = false;
  }
  if (keys.length > n) out += `${first ? "" : ","}"…":"${keys.length - n} more keys"`;
  return `${out}}`;
}

function writeItems(
  items: Iterable<unknown>,
  size: number,
  depth: number,
  ancestors: object[],
  o: SerializeOptions,
): string {
  let out = "[";
  let i = 0;
  for (const item of items) {
    if (i >= o.limits.maxArrayLength) {
      out += `,"…${size - i} more"`;
      break;
    }
    out += (i === 0 ? "" : ",") + writeValue(item, depth + 1, ancestors, o);
    i++;
  }
  return `${out}]`;
}

function writeMap(
  map: Map<unknown, unknown>,
  depth: number,
  ancestors: object[],
  o: SerializeOptions,
): string {
  let out = "{";
  let i = 0;
  for (const [k, v] of map) {
    if (i >= o.limits.maxObjectKeys) {
      out += `,"…":"${map.size - i} more keys"`;
      break;
    }
    const key = typeof k === "string" ? k : String(k);
    const text = isRedacted(key, o.redact)
      ? quoteJson(o.redactWith)
      : writeValue(v, depth + 1, ancestors, o);
    out += `${i === 0 ? "" : ","}${quoteJson(key)}:${text}`;
    i++;
  }
  return `${out}}`;
}

function writeError(err: Error, depth: number, ancestors: object[], o: SerializeOptions): string {
  const read = (key: string): unknown => {
    try {
      return (err as unknown as Record<string, unknown>)[key];
    } catch (error) {
      return describeThrow(error);
    }
  };
  const name = read("name");
  let out = `{"type":${quoteJson(typeof name === "string" ? name : "Error")}`;
  out += `,"message":${writeValue(String(read("message") ?? ""), depth + 1, ancestors, o)}`;
  const stack = read("stack");
  if (typeof stack === "string") out += `,"stack":${writeValue(stack, depth + 1, ancestors, o)}`;
  let keys: string[] = [];
  try {
    keys = Object.keys(err);
  } catch {
    // A Proxy-wrapped error without enumerable keys is still described above.
  }
  for (const key of keys) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
    const text = isRedacted(key, o.redact)
      ? quoteJson(o.redactWith)
      : writeValue(read(key), depth + 1, ancestors, o);
    out += `,${quoteJson(key)}:${text}`;
  }
  const cause = read("cause");
  if (cause !== undefined) out += `,"cause":${writeValue(cause, depth + 1, ancestors, o)}`;
  return `${out}}`;
}
