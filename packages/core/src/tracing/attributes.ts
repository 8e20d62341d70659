import type {
  Attributes,
  AttributeValue,
  Context,
  SpanOptions,
  TimeInput,
} from "@opentelemetry/api";
import { defaultLogState, getLogState } from "../logging/state";

// Span attributes and options arrive from user code and go straight into the
// SDK, which reads them without guarding against throwing getters, Proxies or
// revoked Proxies. These readers copy what they can into plain values and
// count what they had to drop, so a hostile argument never throws.

/** Counts one dropped or replaced argument on the log of `ctx` (the telemetry instance's stats). */
export function countInvalidInput(ctx: Context): void {
  (getLogState(ctx) ?? defaultLogState()).root.stats.invalidInput++;
}

type Primitive = string | number | boolean;

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

// A homogeneous array of primitives (null/undefined items allowed, as the API
// permits), copied item by item; undefined when any read throws or a type mixes.
function copyArray(value: unknown): AttributeValue | undefined {
  if (!Array.isArray(value)) return undefined;
  const length = Math.min(value.length, 1 << 16);
  const out: (Primitive | null | undefined)[] = new Array(length);
  let type: string | undefined;
  for (let i = 0; i < length; i++) {
    const item: unknown = value[i];
    if (item === null || item === undefined) {
      out[i] = item;
      continue;
    }
    if (!isPrimitive(item) || (type !== undefined && typeof item !== type)) return undefined;
    type = typeof item;
    out[i] = item;
  }
  return out as AttributeValue;
}

/**
 * A plain copy of `attributes` holding only valid attribute values, with keys
 * from `redact` replaced by `redactWith`. Never throws: an unreadable object
 * yields `{}`, an unreadable or invalid value is left out; each costs one count.
 */
export function readAttributes(attributes: unknown, ctx: Context): Attributes {
  const out: Attributes = {};
  if (attributes === undefined || attributes === null) return out;
  const serialize = (getLogState(ctx) ?? defaultLogState()).root.serialize;
  let keys: string[];
  try {
    if (typeof attributes !== "object") throw new TypeError("attributes must be an object");
    keys = Object.keys(attributes);
  } catch {
    countInvalidInput(ctx);
    return out;
  }
  for (const key of keys) {
    let value: AttributeValue | undefined;
    try {
      const raw: unknown = (attributes as Record<string, unknown>)[key];
      if (raw === undefined) continue;
      value = isPrimitive(raw) ? raw : copyArray(raw);
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      countInvalidInput(ctx);
      continue;
    }
    out[key] = serialize.redact?.has(key.toLowerCase()) ? serialize.redactWith : value;
  }
  return out;
}

/** `time` when it is a valid OpenTelemetry time input, else `undefined` (counted). */
export function readTime(time: unknown, ctx: Context): TimeInput | undefined {
  if (time === undefined) return undefined;
  try {
    if (typeof time === "number" && Number.isFinite(time)) return time;
    if (time instanceof Date && Number.isFinite(time.getTime())) return new Date(time.getTime());
    if (Array.isArray(time) && time.length === 2) {
      const [s, ns] = time as unknown[];
      if (typeof s === "number" && typeof ns === "number") return [s, ns];
    }
  } catch {}
  countInvalidInput(ctx);
  return undefined;
}

/**
 * `options[key]`, or `undefined` when the read throws (a getter, a Proxy trap) or
 * `options` is not an object; never throws, and counts what it could not read.
 */
export function readField(options: unknown, key: string, ctx: Context): unknown {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") {
    countInvalidInput(ctx);
    return undefined;
  }
  try {
    return (options as Record<string, unknown>)[key];
  } catch {
    countInvalidInput(ctx);
    return undefined;
  }
}

/**
 * A plain copy of the OpenTelemetry span options, made to be handed to the SDK as is:
 * `attributes` read as {@link readAttributes}, `kind`, `links`, `startTime` and `root`
 * kept when valid; `parent` is not copied (see {@link readParent}). Never throws; fields
 * that cannot be read or are invalid are left out and counted.
 */
export function readSpanOptions(options: unknown, ctx: Context): SpanOptions {
  const out: SpanOptions = {};
  if (options === undefined || options === null) return out;
  if (typeof options !== "object") {
    countInvalidInput(ctx);
    return out;
  }
  const attributes = readField(options, "attributes", ctx);
  if (attributes !== undefined) out.attributes = readAttributes(attributes, ctx);
  const kind = readField(options, "kind", ctx);
  if (typeof kind === "number") out.kind = kind;
  else if (kind !== undefined) countInvalidInput(ctx);
  const root = readField(options, "root", ctx);
  if (typeof root === "boolean") out.root = root;
  const startTime = readTime(readField(options, "startTime", ctx), ctx);
  if (startTime !== undefined) out.startTime = startTime;
  const links = readField(options, "links", ctx);
  if (links !== undefined) {
    try {
      if (!Array.isArray(links)) throw new TypeError("links must be an array");
      out.links = [];
      for (let i = 0; i < links.length && i < 128; i++) {
        const link: unknown = links[i];
        const sc = (link as { context?: unknown }).context as {
          traceId?: unknown;
          spanId?: unknown;
          traceFlags?: unknown;
        };
        if (typeof sc?.traceId !== "string" || typeof sc.spanId !== "string") {
          countInvalidInput(ctx);
          continue;
        }
        const copy = {
          context: {
            traceId: sc.traceId,
            spanId: sc.spanId,
            traceFlags: typeof sc.traceFlags === "number" ? sc.traceFlags : 0,
          },
          attributes: readAttributes((link as { attributes?: unknown }).attributes, ctx),
        };
        out.links.push(copy);
      }
    } catch {
      countInvalidInput(ctx);
      delete out.links;
    }
  }
  return out;
}

/** `options.parent` when it is a context, else `fallback`; never throws (a bad value is counted). */
export function readParent(options: unknown, fallback: Context): Context {
  if (options === null || typeof options !== "object") {
    if (options !== undefined) countInvalidInput(fallback);
    return fallback;
  }
  const parent = readField(options, "parent", fallback);
  if (parent === undefined) return fallback;
  if (isContext(parent)) return parent;
  countInvalidInput(fallback);
  return fallback;
}

function isContext(value: unknown): value is Context {
  try {
    return (
      typeof value === "object" &&
      value !== null &&
      typeof (value as Context).getValue === "function" &&
      typeof (value as Context).setValue === "function"
    );
  } catch {
    return false;
  }
}
