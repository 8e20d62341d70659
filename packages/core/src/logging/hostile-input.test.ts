import { describe, expect, it } from "vitest";
import { createLogger } from "./logger";
import type { LogCallOptions } from "./options";
import { lineSink, memorySink } from "./sinks";

function lines(options: Parameters<typeof createLogger>[0] = {}) {
  const out: string[] = [];
  const logger = createLogger({ ...options, sink: lineSink((l) => out.push(l)) });
  return { logger, out, parsed: () => out.map((l) => JSON.parse(l)) };
}

describe("size limits on the message and the top-level fields", () => {
  it("caps the number of top-level keys and marks the rest", () => {
    const t = lines({ limits: { maxObjectKeys: 10 } });
    const fields: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) fields[`k${i}`] = i;
    t.logger.info("many", fields);
    const rec = t.parsed()[0];
    expect(Object.keys(rec).filter((k) => k.startsWith("k"))).toHaveLength(10);
    expect(rec["…"]).toBe("99990 more keys");
    expect((t.out[0] as string).length).toBeLessThan(400);
  });

  it("cuts a long message and says how much was cut", () => {
    const t = lines({ limits: { maxStringLength: 100 } });
    t.logger.info("x".repeat(10_000));
    expect(t.parsed()[0].msg).toBe(`${"x".repeat(100)}…[truncated 9900 chars]`);
  });

  it("cuts long keys of the top-level fields", () => {
    const t = lines({ limits: { maxStringLength: 8 } });
    t.logger.info("k", { ["k".repeat(50)]: 1 });
    expect(Object.keys(t.parsed()[0])).toContain(`${"k".repeat(8)}…[truncated 42 chars]`);
  });

  it("does not spread a string passed as fields into one key per character", () => {
    const t = lines();
    t.logger.info("s", "abc");
    t.logger.info("a", [1, 2]);
    const [s, a] = t.parsed();
    expect(s.err).toBe("abc");
    expect(s["0"]).toBeUndefined();
    expect(a.err).toEqual([1, 2]);
    expect(a["0"]).toBeUndefined();
  });

  it("does not spread a string passed to addFields", () => {
    const sink = memorySink();
    const logger = createLogger({ sink });
    logger.addFields("abc" as never);
    logger.info("x");
    expect(sink.records()[0]?.fields).toEqual({});
  });
});

describe("unreadable arguments", () => {
  it("keeps keys named like Object.prototype members as ordinary fields", () => {
    const t = lines();
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":1}');
    t.logger.addFields(hostile);
    t.logger.info("own", { hasOwnProperty: 2 });
    t.logger.info("proxied", new Proxy(hostile, {}));
    for (const rec of t.parsed()) {
      expect(Object.getOwnPropertyDescriptor(rec, "__proto__")?.value).toEqual({ polluted: true });
      expect(rec).toMatchObject({ constructor: "c", toString: 1 });
    }
    expect(t.parsed()[0].hasOwnProperty).toBe(2);
    const own = t.logger.fields();
    expect(Object.getOwnPropertyDescriptor(own, "__proto__")?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("writes the record when the whole fields argument is a throwing Proxy", () => {
    const sink = memorySink();
    const logger = createLogger({ sink });
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no keys");
        },
      },
    );
    expect(() => logger.info("proxy", hostile)).not.toThrow();
    expect(sink.records().map((r) => [r.msg, r.fields])).toEqual([
      ["proxy", { fields: "[Throws: no keys]" }],
    ]);
    expect(logger.stats()).toMatchObject({ sinkErrors: 0, invalidInput: 1 });
    expect(logger.stats().emitted.info).toBe(1);
  });

  it("replaces a throwing top-level getter and keeps the other fields", () => {
    const t = lines();
    const fields = {
      ok: 1,
      get bad(): number {
        throw new Error("getter");
      },
    };
    t.logger.info("getter", fields);
    expect(t.parsed()[0]).toMatchObject({ msg: "getter", ok: 1, bad: "[Throws: getter]" });
    expect(t.logger.stats()).toMatchObject({ sinkErrors: 0, invalidInput: 1 });
  });

  it("replaces a message whose toString throws", () => {
    const t = lines();
    const msg = {
      toString() {
        throw new Error("no text");
      },
    };
    t.logger.warn(msg as unknown as string, { a: 1 });
    expect(t.parsed()[0]).toMatchObject({ msg: "[Throws: no text]", a: 1 });
    expect(t.logger.stats()).toMatchObject({ sinkErrors: 0, invalidInput: 1 });
  });

  it("writes the record when the options argument is a throwing Proxy", () => {
    const t = lines();
    const options = new Proxy({} as LogCallOptions, {
      get() {
        throw new Error("options");
      },
    });
    t.logger.info("opts", { a: 1 }, options);
    expect(t.parsed()[0]).toMatchObject({ msg: "opts", a: 1 });
    expect(t.logger.stats()).toMatchObject({ sinkErrors: 0, invalidInput: 1 });
  });

  it("counts a throwing sink as a sink error only", () => {
    const logger = createLogger({
      sink: lineSink(() => {
        throw new Error("disk full");
      }),
    });
    logger.info("x", { a: 1 });
    expect(logger.stats()).toMatchObject({ sinkErrors: 1, invalidInput: 0 });
  });
});

describe("log.error with a caught value", () => {
  function fail(value: unknown): never {
    throw value;
  }

  it("takes the unknown of a catch clause and logs it as err whatever it is", () => {
    const t = lines();
    const caught: unknown[] = [];
    for (const value of [new Error("boom"), "plain string", 42, null, { code: "E1" }, [1, 2]]) {
      try {
        fail(value);
      } catch (err) {
        caught.push(err);
        t.logger.error("failed", err);
      }
    }
    const errs = t.parsed().map((r) => r.err);
    expect(errs[0]).toMatchObject({ type: "Error", message: "boom" });
    expect(errs.slice(1, 4)).toEqual(["plain string", 42, null]);
    expect(t.parsed()[4]).toMatchObject({ code: "E1" });
    expect(errs[5]).toEqual([1, 2]);
    expect(t.logger.stats().invalidInput).toBe(0);
  });

  it("writes an Error from another realm with its message and stack", () => {
    const t = lines();
    // What Object.prototype.toString reports for an Error made in an iframe or vm context.
    // Its prototype is the other realm's Error.prototype, not ours.
    const foreignProto = { [Symbol.toStringTag]: "Error" };
    const foreign = Object.assign(Object.create(foreignProto) as Record<string, unknown>, {
      name: "TypeError",
      message: "from elsewhere",
      stack: "TypeError: from elsewhere\n    at x",
    });
    Object.defineProperty(foreign, "message", { enumerable: false });
    Object.defineProperty(foreign, "stack", { enumerable: false });
    t.logger.fatal("foreign", foreign);
    expect(t.parsed()[0].err).toMatchObject({ type: "TypeError", message: "from elsewhere" });
  });
});

describe("text lines cannot be forged", () => {
  function text() {
    const out: string[] = [];
    const logger = createLogger({
      format: "text",
      sink: lineSink((l) => out.push(l)),
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    });
    return { logger, out };
  }
  const forged = "a\n2026-01-02T03:04:05.006Z ERROR forged";

  it("escapes control characters in the message", () => {
    const t = text();
    t.logger.info(forged);
    t.logger.info("b\r\u0085c\u2028d\u001b[31m");
    expect(t.out).toEqual([
      "2026-01-02T03:04:05.006Z INFO  a\\n2026-01-02T03:04:05.006Z ERROR forged",
      "2026-01-02T03:04:05.006Z INFO  b\\r\\u0085c\\u2028d\\u001b[31m",
    ]);
  });

  it("escapes control characters in keys and values", () => {
    const t = text();
    t.logger.info("m", { [forged]: 1, k: forged, n: { [forged]: "x\u0085" }, s: "x\u0085y" });
    expect(t.out).toHaveLength(1);
    const line = t.out[0] as string;
    expect(line).not.toMatch(/[\n\r\u0085\u2028]/);
    expect(line).toContain('"a\\n2026-01-02T03:04:05.006Z ERROR forged"=1');
    expect(line).toContain('k="a\\n2026-01-02T03:04:05.006Z ERROR forged"');
    expect(line).toContain("s=x\\u0085y");
  });

  it("quotes keys with spaces or '=' so they cannot forge a field", () => {
    const t = text();
    t.logger.info("m", { "user=admin x": 1 });
    expect(t.out[0]).toBe('2026-01-02T03:04:05.006Z INFO  m "user=admin x"=1');
  });
});
