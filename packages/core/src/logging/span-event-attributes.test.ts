import { type Span, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { directAttributes, mergedFields, plainAttributes, spanEventAttributes } from "./encode";
import type { LoggerOptions } from "./options";
import { memorySink } from "./sinks";
import { createLogRoot, createLogState, type LogFields } from "./state";

// A log record's fields become span-event attributes without serialising the
// record and parsing it back. Whatever the fields hold, the attributes (and
// their order) must be those the record's JSON form gives.

const SPAN: Span = trace.wrapSpanContext({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceFlags: 1,
});

function cyclic(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: "a", list: [] };
  a.self = a;
  (a.list as unknown[]).push(a, { back: a });
  return a;
}

function richError(): Error {
  const cause = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  return Object.assign(new TypeError("request failed", { cause }), {
    status: 502,
    password: "hunter2",
    type: "duplicate of the type member",
  });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const FIELDS: Record<string, () => LogFields> = {
  access: () => ({
    method: "GET",
    route: "/orders/:id",
    status: 200,
    duration_ms: 1.2345678,
    bytes: 0,
    ok: true,
  }),
  numbers: () => ({
    zero: 0,
    minusZero: -0,
    nan: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    ninf: Number.NEGATIVE_INFINITY,
    big: 1e21,
    tiny: 5e-324,
    max: Number.MAX_SAFE_INTEGER,
    bigint: 12345678901234567890n,
  }),
  strings: () => ({
    empty: "",
    quote: 'say "hi"\\',
    controls: "a\u0000b\nc\u001f",
    unicode: "žluťoučký kůň 🐎",
    lone: "x\ud800y\udc00",
    separators: "\u2028\u2029",
    long: "x".repeat(100),
  }),
  nested: () => ({
    user: { id: 7, name: "ann", tags: ["a", "b"], meta: { deep: { deeper: { deepest: 1 } } } },
    list: [1, "two", null, undefined, { three: 3 }, [4]],
    empty: {},
    emptyList: [],
    integerKeys: { b: 1, "10": 2, "2": 3, a: 4 },
  }),
  errors: () => ({ err: richError(), plain: new Error("x"), notError: { message: "m" } }),
  dates: () => ({ at: new Date(0), invalid: new Date(Number.NaN) }),
  collections: () => ({
    map: new Map<unknown, unknown>([
      ["a", 1],
      [2, { b: 2 }],
      ["Password", "hunter2"],
    ]),
    set: new Set([1, "x", { y: 1 }]),
    bytes: new Uint8Array(8),
    buffer: new ArrayBuffer(4),
  }),
  cyclic: () => ({ cyc: cyclic(), again: cyclic() }),
  redacted: () => ({
    password: "hunter2",
    PassWord: { nested: true },
    token: undefined,
    inner: { password: "hunter2", list: [{ token: 1 }] },
  }),
  skipped: () => ({
    nothing: null,
    missing: undefined,
    fn: () => 1,
    sym: Symbol("s"),
    inList: [() => 1, Symbol("t"), undefined],
  }),
  toJSON: () => ({
    primitive: { toJSON: () => 42 },
    object: { toJSON: () => ({ swapped: true }) },
    self: {
      toJSON() {
        return this;
      },
    },
    throws: {
      toJSON() {
        throw new Error("no JSON");
      },
    },
    nullish: { toJSON: () => null },
  }),
  hostile: () => ({
    getter: Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    }),
    revoked: revokedProxy(),
    inner: { revoked: revokedProxy() },
  }),
  keys: () => ({
    "log.severity": "overridden",
    ts: "reserved",
    msg: "reserved",
    "…": "summary key",
    "7": "integer key",
    "": "empty key",
    ["__proto__"]: "proto string",
    constructor: "ctor",
  }),
  protoObject: () => JSON.parse('{"__proto__": {"polluted": true}, "after": 1}') as LogFields,
};

const OPTIONS: Record<string, LoggerOptions> = {
  defaults: { redactKeys: ["password", "token"] },
  service: { redactKeys: ["password"], serviceName: "orders", serviceVersion: "1.2.3" },
  "small limits": {
    redactKeys: ["password"],
    redactWith: "***",
    limits: { maxStringLength: 5, maxArrayLength: 2, maxObjectKeys: 3, maxDepth: 2 },
  },
  "depth 1": { limits: { maxDepth: 1 } },
  "depth 0": { limits: { maxDepth: 0 } },
  "small lines": { redactKeys: ["password"], limits: { maxLineBytes: 300 } },
  "no line cap": { limits: { maxLineBytes: Number.POSITIVE_INFINITY } },
};

function attributesBothWays(options: LoggerOptions, logFields: LogFields, callFields: LogFields) {
  const state = createLogState(createLogRoot({ ...options, sink: memorySink() }), logFields);
  const merged = mergedFields(state, callFields);
  return {
    reference: plainAttributes(state, "info", "request", merged, SPAN, 0),
    direct: directAttributes(state, "info", "request", merged),
    used: spanEventAttributes(state, "info", "request", callFields, SPAN, 0),
  };
}

describe("span-event attributes of a log record", () => {
  for (const [optionsName, options] of Object.entries(OPTIONS)) {
    for (const [fieldsName, make] of Object.entries(FIELDS)) {
      it(`${fieldsName}, ${optionsName}: same as through the record's JSON form`, () => {
        for (const [logFields, callFields] of [
          [{}, make()],
          [make(), {}],
          [{ service_area: "eu", method: "POST" }, make()],
        ] as const) {
          const { reference, direct, used } = attributesBothWays(options, logFields, callFields);
          expect(used).toEqual(reference);
          expect(Object.keys(used)).toEqual(Object.keys(reference));
          if (direct !== null) {
            expect(direct).toEqual(reference);
            expect(Object.keys(direct)).toEqual(Object.keys(reference));
          }
        }
      });
    }
  }

  it("takes the direct path for records within the limits", () => {
    for (const make of Object.values(FIELDS)) {
      const { direct, reference } = attributesBothWays(OPTIONS.defaults ?? {}, {}, make());
      expect(direct).toEqual(reference);
    }
  });

  it("falls back to the reference path for a record that may be over maxLineBytes", () => {
    const { direct, used, reference } = attributesBothWays(
      { limits: { maxLineBytes: 300 } },
      {},
      { a: "x".repeat(200), b: "y".repeat(200) },
    );
    expect(direct).toBeNull();
    expect(used).toEqual(reference);
    expect(JSON.stringify(used).length).toBeLessThan(400);
  });
});
