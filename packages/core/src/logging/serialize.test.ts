import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SERIALIZE_LIMITS,
  quoteJson,
  type SerializeOptions,
  serializeJson,
} from "./serialize";

const opts: SerializeOptions = { limits: DEFAULT_SERIALIZE_LIMITS, redact: null, redactWith: "x" };
const ser = (v: unknown, o: SerializeOptions = opts) => JSON.parse(serializeJson(v, o));

describe("serializeJson", () => {
  it("marks cycles instead of recursing", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    a.list = [a, { back: a }];
    expect(ser(a)).toEqual({
      name: "a",
      self: "[Circular]",
      list: ["[Circular]", { back: "[Circular]" }],
    });
  });

  it("repeats a shared (non-cyclic) object rather than calling it circular", () => {
    const shared = { v: 1 };
    expect(ser({ a: shared, b: shared })).toEqual({ a: { v: 1 }, b: { v: 1 } });
  });

  it("describes getters that throw and keeps the rest", () => {
    const hostile = {
      ok: 1,
      get bad(): never {
        throw new Error("nope");
      },
    };
    expect(ser(hostile)).toEqual({ ok: 1, bad: "[Throws: nope]" });
  });

  it("survives a Proxy whose every trap throws", () => {
    const p = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
        get() {
          throw new Error("trap");
        },
      },
    );
    expect(ser({ p })).toEqual({ p: "[Throws: trap]" });
  });

  it("handles BigInt, non-finite numbers, dates, symbols and functions", () => {
    expect(
      ser({
        big: 12345678901234567890n,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        date: new Date(0),
        bad: new Date(Number.NaN),
        sym: Symbol("s"),
        arr: [undefined, () => 1],
      }),
    ).toEqual({
      big: "12345678901234567890",
      nan: "NaN",
      inf: "Infinity",
      date: "1970-01-01T00:00:00.000Z",
      bad: "Invalid Date",
      arr: [null, "[Function: anonymous]"],
    });
  });

  it("serialises errors with stack, own properties and cause chain", () => {
    const cause = new TypeError("root cause");
    const err = Object.assign(new Error("top", { cause }), { code: "E_TOP", status: 503 });
    const out = ser({ err });
    expect(out.err).toMatchObject({ type: "Error", message: "top", code: "E_TOP", status: 503 });
    expect(out.err.stack).toContain("top");
    expect(out.err.cause).toMatchObject({ type: "TypeError", message: "root cause" });
  });

  it("turns Map into an object and Set into an array, bytes into a summary", () => {
    expect(
      ser({
        m: new Map<unknown, unknown>([
          ["a", 1],
          [2, "b"],
        ]),
        s: new Set([1, 2]),
        b: new Uint8Array(3),
      }),
    ).toEqual({ m: { a: 1, "2": "b" }, s: [1, 2], b: "[Uint8Array(3)]" });
  });

  it("truncates a 10 MB string to maxStringLength and says how much was cut", () => {
    const huge = "x".repeat(10 * 1024 * 1024);
    const out = ser({ huge });
    expect(out.huge.length).toBeLessThan(DEFAULT_SERIALIZE_LIMITS.maxStringLength + 40);
    expect(out.huge).toMatch(/…\[truncated 10469376 chars\]$/);
  });

  it("caps depth, array length and object keys", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const text = serializeJson(deep, opts);
    expect(text).toContain('"[Object]"');
    expect(text.length).toBeLessThan(200);
    const limits = { ...DEFAULT_SERIALIZE_LIMITS, maxArrayLength: 3, maxObjectKeys: 2 };
    const o2 = { ...opts, limits };
    expect(ser([1, 2, 3, 4, 5], o2)).toEqual([1, 2, 3, "…2 more"]);
    expect(ser({ a: 1, b: 2, c: 3 }, o2)).toEqual({ a: 1, b: 2, "…": "1 more keys" });
  });

  it("uses toJSON, and survives a toJSON that throws", () => {
    expect(ser({ a: { toJSON: () => "custom" } })).toEqual({ a: "custom" });
    expect(
      ser({
        a: {
          toJSON() {
            throw new Error("no json");
          },
        },
      }),
    ).toEqual({ a: "[Throws: no json]" });
  });

  it("escapes lone surrogates and control characters into valid JSON", () => {
    expect(ser({ s: 'a\ud800b\u0001"\\' })).toEqual({ s: 'a\ud800b\u0001"\\' });
  });

  // Property tests: generous timeouts, as a busy machine can take seconds for the runs.
  it("always produces valid JSON for arbitrary values", { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
        (v) => {
          expect(() => JSON.parse(serializeJson(v, opts))).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("quoteJson", () => {
  it("writes what JSON.stringify writes, for short and long strings alike", {
    timeout: 30_000,
  }, () => {
    const specials = ["\u0000", "\u001f", '"', "\\", "\ud800", "\udbff\udc00", "\udfff"];
    const plain = ["\u0020", "\u007f", "é", "\u2028", "\ud7ff", "\ue000", "😀"];
    for (const length of [0, 1, 5, 39, 40, 41, 80]) {
      for (const c of [...specials, ...plain]) {
        for (const at of [0, Math.floor(length / 2), length]) {
          const s = "a".repeat(at) + c + "b".repeat(Math.max(0, length - at));
          expect(quoteJson(s)).toBe(JSON.stringify(s));
        }
      }
      expect(quoteJson("x".repeat(length))).toBe(JSON.stringify("x".repeat(length)));
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        expect(quoteJson(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });
});
