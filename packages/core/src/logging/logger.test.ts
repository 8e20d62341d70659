import { context } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { ensureContextManager } from "../context/manager";
import { TelemetryContext, withForkedLog } from "../telemetry-context";
import { createLogger, log } from "./logger";
import { type LogRecord, lineSink, memorySink } from "./sinks";
import { createLogRoot, createLogState, setLogState } from "./state";

function capture(options: Parameters<typeof createLogRoot>[0] = {}) {
  const sink = memorySink();
  const root = createLogRoot({ level: "trace", ...options, sink });
  const state = createLogState(root);
  ensureContextManager();
  const ctx = TelemetryContext.current();
  const run = <R>(fn: () => R): R => context.with(setLogState(ctx.otel, state), fn);
  const fields = () => sink.records().map((r) => r.fields);
  return { sink, root, run, fields, records: (): readonly LogRecord[] => sink.records() };
}

describe("JSON lines", () => {
  it("writes ts, level, msg, then fields, then service", () => {
    const lines: string[] = [];
    const logger = createLogger({
      sink: lineSink((l) => lines.push(l)),
      serviceName: "api",
      serviceVersion: "1.2.3",
      fields: { region: "eu" },
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    });
    logger.info('say "hi"\n', { user: 42, ok: true });
    expect(lines).toEqual([
      '{"ts":"2026-01-02T03:04:05.006Z","level":"info","msg":"say \\"hi\\"\\n","region":"eu","user":42,"ok":true,"service":"api","version":"1.2.3"}',
    ]);
    expect(JSON.parse(lines[0] as string).msg).toBe('say "hi"\n');
  });

  it("lets call fields replace log fields of the same name and renames reserved keys", () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: lineSink((l) => lines.push(l)), fields: { a: 1 } });
    logger.info("m", { a: 2, msg: "user msg", level: 9 });
    const parsed = JSON.parse(lines[0] as string);
    expect(parsed).toMatchObject({ msg: "m", level: "info", a: 2 });
    expect(parsed["fields.msg"]).toBe("user msg");
    expect(parsed["fields.level"]).toBe(9);
    expect((lines[0] as string).match(/"a":/g)).toHaveLength(1);
  });

  it("writes ts exactly as Date#toISOString, across seconds, minutes, days and odd times", () => {
    let now = 0;
    const out: string[] = [];
    const logger = createLogger({ sink: lineSink((l) => out.push(l)), now: () => now });
    const base = Date.UTC(2026, 11, 31, 23, 58, 59, 998);
    const times = [base, base + 1, base + 2, base + 1_001, base + 59_999, base + 60_000];
    for (let ms = base; ms < base + 130_000; ms += 997) times.push(ms);
    times.push(base + 0.9, -1, -1.5, -86_400_001, 0, 8.64e15, 253_402_300_800_000, base);
    const expected: string[] = [];
    for (const t of times) {
      now = t;
      logger.info("t");
      expected.push(new Date(t).toISOString());
    }
    expect(out.map((l) => JSON.parse(l).ts)).toEqual(expected);
  });

  it("writes human-readable text", () => {
    const lines: string[] = [];
    const logger = createLogger({
      format: "text",
      sink: lineSink((l) => lines.push(l)),
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    });
    logger.warn("disk low", { free: "1 GiB", path: "/var", n: 3 });
    expect(lines[0]).toBe('2026-01-02T03:04:05.006Z WARN  disk low free="1 GiB" path=/var n=3');
  });

  it("skips records below the level and counts what it writes", () => {
    const sink = memorySink();
    const logger = createLogger({ level: "warn", sink });
    logger.debug("no");
    logger.info("no");
    logger.warn("yes");
    logger.error("yes", new Error("boom"));
    expect(sink.records().map((r) => r.msg)).toEqual(["yes", "yes"]);
    expect(sink.records()[1]?.fields.err).toMatchObject({ type: "Error", message: "boom" });
    expect(logger.stats().emitted).toMatchObject({ warn: 1, error: 1, info: 0 });
    expect(logger.isLevelEnabled("info")).toBe(false);
  });

  it("never throws when the sink throws, and counts the loss", () => {
    const logger = createLogger({
      sink: lineSink(() => {
        throw new Error("disk full");
      }),
    });
    expect(() => logger.info("x")).not.toThrow();
    expect(logger.stats().sinkErrors).toBe(1);
  });
});

describe("forked logs", () => {
  it("inherit fields at fork time; nothing leaks either way", () => {
    const c = capture();
    c.run(() => {
      log.addFields({ conn: 1 });
      withForkedLog(() => {
        log.addFields({ req: "a" });
        log.info("inside");
      });
      log.addFields({ later: true });
      log.info("outside");
    });
    expect(c.fields()).toEqual([
      { conn: 1, req: "a" },
      { conn: 1, later: true },
    ]);
  });

  it("a fork made before a parent change does not see it", async () => {
    const c = capture();
    await c.run(async () => {
      log.addFields({ a: 1 });
      const fork = TelemetryContext.current().forkLog();
      log.addFields({ b: 2 });
      await fork.run(async () => {
        await Promise.resolve();
        log.info("fork");
      });
    });
    expect(c.fields()).toEqual([{ a: 1 }]);
  });

  it("nest, and compose as values", () => {
    const c = capture();
    c.run(() => {
      const outer = TelemetryContext.current().forkLog({ level1: true });
      const inner = outer.forkLog({ level2: true });
      inner.run(() => log.info("inner"));
      outer.run(() => log.info("outer"));
      inner.log.addFields({ direct: 1 });
      inner.log.info("direct");
    });
    expect(c.fields()).toEqual([
      { level1: true, level2: true },
      { level1: true },
      { level1: true, level2: true, direct: 1 },
    ]);
  });

  it("stay isolated when run concurrently under Promise.all", async () => {
    const c = capture();
    await c.run(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          withForkedLog(async () => {
            log.addFields({ task: i });
            for (let step = 0; step < 3; step++) {
              await new Promise((r) => setTimeout(r, (i * 7) % 5));
              log.addFields({ [`step${step}`]: i });
              log.info("step", { step });
            }
          }),
        ),
      ),
    );
    const records = c.records();
    expect(records).toHaveLength(60);
    for (const r of records) {
      const task = r.fields.task as number;
      const step = r.fields.step as number;
      for (let s = 0; s <= step; s++) expect(r.fields[`step${s}`]).toBe(task);
      expect(Object.keys(r.fields).filter((k) => k.startsWith("step")).length).toBe(step + 2);
    }
  });

  it("survive await, setTimeout, queueMicrotask and bind", async () => {
    const c = capture();
    await c.run(() =>
      withForkedLog(async () => {
        log.addFields({ id: "x" });
        await new Promise((r) => setTimeout(r, 1));
        log.info("after await");
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            log.info("in timer");
            resolve();
          }, 1),
        );
        await new Promise<void>((resolve) =>
          queueMicrotask(() => {
            log.info("in microtask");
            resolve();
          }),
        );
        const bound = TelemetryContext.current().bind(() => log.info("bound"));
        await context.with(context.active().deleteValue(Symbol.for("none")), async () => bound());
      }),
    );
    expect(c.records().map((r) => [r.msg, r.fields.id])).toEqual([
      ["after await", "x"],
      ["in timer", "x"],
      ["in microtask", "x"],
      ["bound", "x"],
    ]);
  });
});

describe("redaction", () => {
  it("replaces keys case-insensitively at any depth, in JSON lines and captured records", () => {
    const lines: string[] = [];
    const logger = createLogger({
      sink: lineSink((l) => lines.push(l)),
      redactKeys: ["Password", "authorization"],
      redactWith: "***",
    });
    logger.info("login", {
      user: "ann",
      PASSWORD: "hunter2",
      req: { headers: { Authorization: "Bearer t", accept: "*/*" }, list: [{ password: "p" }] },
      m: new Map([["authorization", "x"]]),
    });
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain("Bearer");
    const parsed = JSON.parse(lines[0] as string);
    expect(parsed.PASSWORD).toBe("***");
    expect(parsed.req.headers).toEqual({ Authorization: "***", accept: "*/*" });
    expect(parsed.req.list).toEqual([{ password: "***" }]);
    expect(parsed.m).toEqual({ authorization: "***" });

    const c = capture({ redactKeys: ["secret"] });
    c.run(() => {
      log.addFields({ secret: "s1" });
      log.info("x", { nested: { SECRET: "s2" } });
    });
    expect(c.fields()).toEqual([{ secret: "[REDACTED]", nested: { SECRET: "[REDACTED]" } }]);
  });
});

describe("rate limits", () => {
  it("limit a call site by message template and count drops per level", () => {
    const sink = memorySink();
    const logger = createLogger({ sink });
    for (let i = 0; i < 10; i++) logger.warn("cache miss", { key: i }, { rateLimit: "3/h" });
    for (let i = 0; i < 2; i++) logger.warn("other site", {}, { rateLimit: "3/h" });
    expect(sink.records().map((r) => r.msg)).toEqual([
      "cache miss",
      "cache miss",
      "cache miss",
      "other site",
      "other site",
    ]);
    expect(logger.stats().dropped.warn).toBe(7);
    expect(logger.stats().emitted.warn).toBe(5);
  });

  it("apply a global events/s limit with burst", () => {
    const sink = memorySink();
    const logger = createLogger({ sink, rateLimit: { maxEventsPerSecond: 0.001, burst: 5 } });
    for (let i = 0; i < 8; i++) logger.info("a");
    for (let i = 0; i < 3; i++) logger.error("b");
    expect(sink.records()).toHaveLength(5);
    expect(logger.stats().dropped).toMatchObject({ info: 3, error: 3 });
  });

  it("ignores an invalid rate instead of throwing", () => {
    const sink = memorySink();
    const logger = createLogger({ sink });
    expect(() => logger.info("x", {}, { rateLimit: "lots" })).not.toThrow();
    expect(sink.records()).toHaveLength(1);
  });
});
