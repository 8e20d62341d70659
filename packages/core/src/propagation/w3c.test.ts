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

  it("keeps only the sampled flag and ignores surrounding whitespace", () => {
    expect(parseTraceparent(`00-${TID}-${SID}-ff`)?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(parseTraceparent(`00-${TID}-${SID}-02`)?.traceFlags).toBe(TraceFlags.NONE);
    expect(parseTraceparent(` \t${VALID} `)?.traceId).toBe(TID);
  });

  it("formats what it parses", () => {
    const sc = parseTraceparent(VALID);
    expect(sc && formatTraceparent(sc)).toBe(VALID);
    expect(
      formatTraceparent({ traceId: "0".repeat(32), spanId: SID, traceFlags: 1 }),
    ).toBeUndefined();
  });
});

describe("parseTracestate", () => {
  it("keeps members in order", () => {
    const ts = parseTracestate("congo=t61rcWkgMzE, rojo=00f067aa0ba902b7,,tenant@vendor=x");
    expect(ts?.serialize()).toBe("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,tenant@vendor=x");
  });

  it.each([
    ["uppercase key", "Congo=1"],
    ["duplicate key", "a=1,a=2"],
    ["no equals", "a"],
    ["value with equals", "a=b=c"],
    ["value ending in space", "a=b ,c=d".replace(" ,", "\u0000,")],
    ["empty value", "a="],
    ["too long key", `${"a".repeat(257)}=1`],
  ])("drops the whole value for %s", (_label, value) => {
    expect(parseTracestate(value)).toBeUndefined();
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
          (sc.traceFlags === 0 || sc.traceFlags === 1)
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
