import { context, propagation, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureContextManager } from "../context/manager";
import {
  extractContext,
  formatBaggage,
  formatTraceparent,
  injectHeaders,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  RANDOM_TRACE_FLAG,
  w3cPropagator,
  w3cTraceparent,
} from "./w3c";

beforeAll(() => ensureContextManager());

const TID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SID = "00f067aa0ba902b7";
const VALID = `00-${TID}-${SID}-01`;

describe("parseTraceparent (W3C Trace Context)", () => {
  it("accepts a valid value", () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: TID,
      spanId: SID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(parseTraceparent(`00-${TID}-${SID}-00`)?.traceFlags).toBe(TraceFlags.NONE);
  });

  it.each([
    ["version ff", `ff-${TID}-${SID}-01`],
    ["non-hex version", `0g-${TID}-${SID}-01`],
    ["uppercase version", `0A-${TID}-${SID}-01`],
    ["uppercase trace id", `00-${TID.toUpperCase()}-${SID}-01`],
    ["uppercase span id", `00-${TID}-${SID.toUpperCase()}-01`],
    ["uppercase flags", `00-${TID}-${SID}-0A`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${SID}-01`],
    ["all-zero parent id", `00-${TID}-${"0".repeat(16)}-01`],
    ["short trace id", `00-${TID.slice(1)}-${SID}-01`],
    ["long trace id", `00-${TID}0-${SID}-01`],
    ["short parent id", `00-${TID}-${SID.slice(1)}-01`],
    ["short flags", `00-${TID}-${SID}-1`],
    ["version 00 with extra field", `${VALID}-extra`],
    ["version 00 with trailing char", `${VALID}x`],
    ["wrong separator", `00_${TID}-${SID}-01`],
    ["empty", ""],
    ["two values joined", `${VALID}, ${VALID}`],
    ["future version, junk after flags", `01-${TID}-${SID}-01x`],
  ])("rejects %s", (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("accepts a future version and ignores its extra fields", () => {
    expect(parseTraceparent(`cc-${TID}-${SID}-01-what-the-future-holds`)?.traceId).toBe(TID);
    expect(parseTraceparent(`cc-${TID}-${SID}-01`)?.spanId).toBe(SID);
  });

  it("keeps the sampled and random flags only and ignores surrounding whitespace", () => {
    expect(parseTraceparent(`00-${TID}-${SID}-ff`)?.traceFlags).toBe(0x03);
    expect(parseTraceparent(`00-${TID}-${SID}-02`)?.traceFlags).toBe(RANDOM_TRACE_FLAG);
    expect(parseTraceparent(`00-${TID}-${SID}-fc`)?.traceFlags).toBe(TraceFlags.NONE);
    expect(parseTraceparent(` \t${VALID} `)?.traceId).toBe(TID);
  });

  it("formats what it parses", () => {
    const sc = parseTraceparent(VALID);
    expect(sc && formatTraceparent(sc)).toBe(VALID);
    for (const flags of ["00", "01", "02", "03"]) {
      const value = `00-${TID}-${SID}-${flags}`;
      const parsed = parseTraceparent(value);
      expect(parsed && formatTraceparent(parsed)).toBe(value);
    }
    expect(formatTraceparent({ traceId: TID, spanId: SID, traceFlags: 0xff })).toBe(
      `00-${TID}-${SID}-03`,
    );
    expect(
      formatTraceparent({ traceId: "0".repeat(32), spanId: SID, traceFlags: 1 }),
    ).toBeUndefined();
  });
});

// Every single-character substitution, deletion and insertion of a valid traceparent,
// judged by the field table of the specification (version-format): version 2 lowercase hex
// digits other than ff, then "-", trace-id 32 lowercase hex digits not all zero, "-",
// parent-id 16 lowercase hex digits not all zero, "-", trace-flags 2 lowercase hex digits;
// version 00 is exactly 55 characters, a later version may go on after a "-".
const FIELDS: readonly [start: number, end: number, hex: boolean][] = [
  [0, 2, true],
  [2, 3, false],
  [3, 35, true],
  [35, 36, false],
  [36, 52, true],
  [52, 53, false],
  [53, 55, true],
];

function validBySpec(value: string): boolean {
  if (value.length < 55) return false;
  for (const [start, end, hex] of FIELDS) {
    for (let i = start; i < end; i++) {
      const c = value[i] as string;
      if (hex ? !/^[0-9a-f]$/.test(c) : c !== "-") return false;
    }
  }
  const version = value.slice(0, 2);
  if (version === "ff") return false;
  if (/^0+$/.test(value.slice(3, 35)) || /^0+$/.test(value.slice(36, 52))) return false;
  if (version === "00") return value.length === 55;
  return value.length === 55 || value[55] === "-";
}

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

function mutations(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length) out.push(value.slice(0, i) + value.slice(i + 1));
    for (const c of PRINTABLE) {
      if (i < value.length && c !== value[i]) out.push(value.slice(0, i) + c + value.slice(i + 1));
      out.push(value.slice(0, i) + c + value.slice(i));
    }
  }
  return out;
}

describe("parseTraceparent against the specification's field table", () => {
  // Ids with a single non-zero digit, so that one change can also make them all zero.
  const bases = [
    VALID,
    `00-${"0".repeat(31)}1-${"0".repeat(15)}1-00`,
    `cc-${TID}-${SID}-01`,
    `cc-${TID}-${SID}-01-future`,
  ];
  it.each(bases)("accepts exactly the valid one-character changes of %s", (base) => {
    const wrong: string[] = [];
    for (const value of mutations(base)) {
      // Surrounding spaces and tabs are optional whitespace of the header, not of the value.
      if (value.trim() !== value) continue;
      const accepted = parseTraceparent(value) !== undefined;
      if (accepted !== validBySpec(value))
        wrong.push(`${accepted ? "accepted" : "rejected"} ${value}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("parseTracestate", () => {
  it("keeps members in order", () => {
    const ts = parseTracestate("congo=t61rcWkgMzE, rojo=00f067aa0ba902b7,,tenant@vendor=x");
    expect(ts?.serialize()).toBe("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,tenant@vendor=x");
  });

  it.each([
    ["uppercase key", "Congo=1"],
    ["no equals", "a"],
    ["value with equals", "a=b=c"],
    ["value ending in space", "a=b ,c=d".replace(" ,", "\u0000,")],
    ["empty value", "a="],
    ["too long key", `${"a".repeat(257)}=1`],
    ["key starting with @", "@vendor=1"],
    ["key starting with _", "_a=1"],
    ["key with a space", "a b=1"],
    ["key with a dot", "a.b=1"],
    ["too long value", `a=${"v".repeat(257)}`],
    ["value with a comma-like byte", "a=\u007f"],
    ["value with a non-ASCII character", "a=é"],
  ])("drops the whole value for %s", (_label, value) => {
    expect(parseTracestate(value)).toBeUndefined();
  });

  it.each([
    ["a digit first", "0foo=1"],
    ["@ at the end", "foo@=1"],
    ["a tenant@system key", "tenant@vendor=x"],
    ["@ twice", "a@b@c=1"],
    ["every key character", "a0_-*/@z=1"],
    ["a 256-character key", `${"a".repeat(256)}=1`],
    ["a 242-character key ending in @v", `${"k".repeat(240)}@v=1`],
    ["a 256-character value", `a=${"v".repeat(256)}`],
    [
      "every value character",
      `a=${[..." !\"#$%&'()*+-./0123456789:;<>?@AZ[\\]^_`az{|}~"].join("")}`,
    ],
  ])("keeps a member with %s", (_label, value) => {
    expect(parseTracestate(value)?.serialize()).toBe(value);
  });

  it("drops a repeated key's later members, not the header", () => {
    expect(parseTracestate("a=1,b=2,a=3,c=4,b=5")?.serialize()).toBe("a=1,b=2,c=4");
  });

  it("moves a set member first and drops the last one past 32 members", () => {
    const full = parseTracestate(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(","));
    const next = full?.set("new", "1").set("k5", "x").unset("k0");
    const serialized = next?.serialize().split(",") ?? [];
    expect(serialized.slice(0, 2)).toEqual(["k5=x", "new=1"]);
    expect(serialized).toHaveLength(31);
    expect(serialized).not.toContain("k31=v");
    expect(full?.set("Bad", "1")).toBe(full);
  });

  it("drops more than 32 members", () => {
    const members = Array.from({ length: 33 }, (_, i) => `k${i}=v`);
    expect(parseTracestate(members.slice(0, 32).join(","))?.serialize()).toBe(
      members.slice(0, 32).join(","),
    );
    expect(parseTracestate(members.join(","))).toBeUndefined();
  });

  it("keeps long states that the API's own parser would drop", () => {
    const members = Array.from({ length: 10 }, (_, i) => `k${i}=${"v".repeat(100)}`).join(",");
    expect(parseTracestate(members)?.serialize()).toBe(members);
  });
});

describe("baggage", () => {
  it("parses values, percent-decoding and keeping properties", () => {
    const b = parseBaggage("userId=alice, serverNode = DF%2028 ,isProduction=false;ttl=60");
    expect(b?.getEntry("userId")?.value).toBe("alice");
    expect(b?.getEntry("serverNode")?.value).toBe("DF 28");
    expect(b?.getEntry("isProduction")?.metadata?.toString()).toBe("ttl=60");
  });

  it("replaces invalid UTF-8 with U+FFFD and skips malformed members only", () => {
    const b = parseBaggage('bad=%E0%A4%A,ok=1,no-equals,sp ace=1,quote="x"');
    // E0 A4 is a truncated three-byte sequence: one replacement character.
    expect(b?.getEntry("bad")?.value).toBe("\uFFFD%A");
    expect(b?.getEntry("ok")?.value).toBe("1");
    expect(
      b
        ?.getAllEntries()
        .map(([k]) => k)
        .sort(),
    ).toEqual(["bad", "ok"]);
  });

  it("round-trips arbitrary values through format and parse", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.stringMatching(/^[a-zA-Z0-9_.-]{1,16}$/),
          fc.string({ unit: "grapheme", maxLength: 40 }),
          {
            maxKeys: 10,
          },
        ),
        (record) => {
          const entries = Object.fromEntries(
            Object.entries(record).map(([k, v]) => [k, { value: v }]),
          );
          const header = formatBaggage(propagation.createBaggage(entries));
          if (Object.keys(entries).length === 0) return header === undefined;
          const back = parseBaggage(header);
          for (const [k, v] of Object.entries(entries)) {
            if (back?.getEntry(k)?.value !== v.value) return false;
          }
          return true;
        },
      ),
    );
  });

  it("treats __proto__ as an ordinary key", () => {
    const b = parseBaggage("__proto__=x,constructor=y");
    expect(b?.getEntry("__proto__")?.value).toBe("x");
    expect(b?.getEntry("constructor")?.value).toBe("y");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("bounds members and bytes", () => {
    const many = Array.from({ length: 500 }, (_, i) => `k${i}=v`).join(",");
    expect(parseBaggage(many)?.getAllEntries()).toHaveLength(180);
    const huge = Array.from({ length: 20 }, (_, i) => `k${i}=${"x".repeat(1000)}`).join(",");
    const parsed = parseBaggage(huge)?.getAllEntries() ?? [];
    expect(parsed.length).toBeLessThanOrEqual(8);
    expect(parsed.length).toBeGreaterThan(0);
  });
});

describe("inject / extract", () => {
  const remote = () => extractContext(`00-${TID}-${SID}-01`, ROOT_CONTEXT);

  it("round-trips through Headers and plain records", () => {
    const ctx = propagation.setBaggage(
      extractContext({ traceparent: VALID, tracestate: "a=1", baggage: "x=1" }, ROOT_CONTEXT),
      propagation.createBaggage({ user: { value: "ä b" } }),
    );
    const headers = injectHeaders(new Headers(), ctx);
    expect(headers.get("traceparent")).toBe(VALID);
    expect(headers.get("tracestate")).toBe("a=1");
    expect(headers.get("baggage")).toBe("user=%C3%A4%20b");
    const record = injectHeaders({} as Record<string, string>, ctx);
    expect(record).toEqual({ traceparent: VALID, tracestate: "a=1", baggage: "user=%C3%A4%20b" });

    const back = extractContext(headers, ROOT_CONTEXT);
    expect(trace.getSpanContext(back)?.traceId).toBe(TID);
    expect(propagation.getBaggage(back)?.getEntry("user")?.value).toBe("ä b");
  });

  it("reads records case-insensitively and treats repeated traceparent lines as invalid", () => {
    expect(
      trace.getSpanContext(extractContext({ TraceParent: VALID }, ROOT_CONTEXT))?.traceId,
    ).toBe(TID);
    expect(
      trace.getSpanContext(extractContext({ traceparent: [VALID] }, ROOT_CONTEXT)),
    ).toBeDefined();
    expect(
      trace.getSpanContext(extractContext({ traceparent: [VALID, VALID] }, ROOT_CONTEXT)),
    ).toBeUndefined();
    const ts = extractContext({ traceparent: VALID, tracestate: ["a=1", "b=2"] }, ROOT_CONTEXT);
    expect(trace.getSpanContext(ts)?.traceState?.serialize()).toBe("a=1,b=2");
  });

  it("ignores tracestate without a valid traceparent", () => {
    const ctx = extractContext({ traceparent: "nonsense", tracestate: "a=1" }, ROOT_CONTEXT);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
  });

  it("w3cTraceparent reads the active span", () => {
    expect(w3cTraceparent(ROOT_CONTEXT)).toBeUndefined();
    expect(context.with(remote(), () => w3cTraceparent())).toBe(VALID);
  });

  it("works as a registered OpenTelemetry propagator", () => {
    const carrier: Record<string, string> = {};
    propagation.setGlobalPropagator(w3cPropagator);
    try {
      propagation.inject(remote(), carrier);
      expect(carrier.traceparent).toBe(VALID);
      const back = propagation.extract(ROOT_CONTEXT, carrier);
      expect(trace.getSpanContext(back)?.spanId).toBe(SID);
    } finally {
      propagation.disable();
    }
    expect(w3cPropagator.fields()).toEqual(["traceparent", "tracestate", "baggage"]);
  });
});

describe("fuzz: no input throws", () => {
  const hexish = fc.constantFrom(..."0123456789abcdefABCDEF-xz ,;=%\t".split(""));
  const nearTraceparent = fc.oneof(
    fc.string(),
    fc.string({ unit: hexish, minLength: 50, maxLength: 60 }),
    fc
      .tuple(
        fc.string({ unit: hexish, minLength: 2, maxLength: 2 }),
        fc.string({ unit: hexish, minLength: 32, maxLength: 32 }),
        fc.string({ unit: hexish, minLength: 16, maxLength: 16 }),
        fc.string({ unit: hexish, minLength: 2, maxLength: 2 }),
        fc.option(fc.string(), { nil: undefined }),
      )
      .map(([v, t, s, f, extra]) => `${v}-${t}-${s}-${f}${extra === undefined ? "" : `-${extra}`}`),
  );

  it("parseTraceparent accepts exactly the spec's grammar", () => {
    fc.assert(
      fc.property(nearTraceparent, (value) => {
        const sc = parseTraceparent(value);
        if (sc === undefined) return true;
        const v = value.replace(/^[ \t]+|[ \t]+$/g, "");
        const version = v.slice(0, 2);
        return (
          /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}/.test(v) &&
          version !== "ff" &&
          (version === "00" ? v.length === 55 : v.length === 55 || v[55] === "-") &&
          !/^0+$/.test(sc.traceId) &&
          !/^0+$/.test(sc.spanId) &&
          sc.traceFlags >= 0 &&
          sc.traceFlags <= 3
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("parsers and extractContext never throw on arbitrary strings and carriers", () => {
    fc.assert(
      fc.property(
        fc.oneof(nearTraceparent, fc.string({ unit: "binary" })),
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        (tp, ts, bg) => {
          parseTracestate(ts);
          parseBaggage(bg);
          const ctx = extractContext(
            { traceparent: tp, tracestate: ts, baggage: bg },
            ROOT_CONTEXT,
          );
          injectHeaders({} as Record<string, string>, ctx);
          return true;
        },
      ),
      { numRuns: 400 },
    );
  }, 30_000); // fuzzing; generous on a loaded machine

  it("never throws on non-string header values", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        parseTraceparent(a);
        parseTracestate(a);
        parseBaggage(b);
        extractContext({ traceparent: a, baggage: b } as never, ROOT_CONTEXT);
        extractContext(a as never, ROOT_CONTEXT);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
