import type { TraceState } from "@opentelemetry/api";

/** Most members a trace state holds, as W3C Trace Context allows. */
export const MAX_TRACESTATE_MEMBERS = 32;

/**
 * A tracestate key under the current W3C grammar: `(lcalpha / DIGIT) 0*255(keychar)`, where
 * a key character is a lowercase letter, a digit, `_`, `-`, `*`, `/` or `@`.
 */
export const TRACESTATE_KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
/** A tracestate value: up to 256 printable ASCII characters except `,` and `=`, not ending in a space. */
export const TRACESTATE_VALUE =
  /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * An immutable OpenTelemetry `TraceState` over members kept in header order. It is ours
 * rather than the API's `createTraceState()` because the API's differs between versions:
 * 1.10 refuses any `set` that makes the serialized state longer than 512 characters, so a
 * longer received state built member by member would silently lose members.
 *
 * @param members - `[key, value]` pairs in header order, already valid and unique.
 */
export function traceStateOf(members: readonly (readonly [string, string])[]): TraceState {
  const list = members.slice(0, MAX_TRACESTATE_MEMBERS);
  return {
    get(key) {
      for (const [k, v] of list) if (k === key) return v;
      return undefined;
    },
    set(key, value) {
      if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(value)) return this;
      // W3C: a new or updated member goes first; the rightmost goes when the list is full.
      const rest = list.filter(([k]) => k !== key);
      return traceStateOf([[key, value], ...rest]);
    },
    unset(key) {
      return list.some(([k]) => k === key) ? traceStateOf(list.filter(([k]) => k !== key)) : this;
    },
    serialize() {
      return list.map(([k, v]) => `${k}=${v}`).join(",");
    },
  };
}
