import { utf8Length } from "@groundwork/platform";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { CoreError } from "../errors";
import { createTelemetry } from "../telemetry";
import { span } from "../tracing/span";
import { createLogger, log } from "./logger";
import type { LoggerOptions } from "./options";
import { lineSink, memorySink } from "./sinks";

const bytes = (s: string) => new TextEncoder().encode(s).length;
const MAX = 4096;
const TIME = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

// Every part within the per-value limits (strings up to 16 384 characters,
// 1 000 keys), together far over a 4 KiB line.
const big = () => ({
  user_id: 42,
  body: "b".repeat(10_000),
  headers: { accept: "a".repeat(3_000), cookie: "c".repeat(3_000) },
  route: "/v1/orders",
  note: "n".repeat(500),
});

function lines(options: LoggerOptions = {}) {
  const out: string[] = [];
  const logger = createLogger({
    serviceName: "svc",
    serviceVersion: "1.2.3",
    now: () => TIME,
    limits: { maxLineBytes: MAX },
    ...options,
    sink: lineSink((l) => out.push(l)),
  });
  return { logger, out };
}

describe("limits.maxLineBytes on JSON lines", () => {
  it("keeps the envelope and the small fields, cuts the largest fields first, marks and counts it", () => {
    const t = lines();
    t.logger.info("order placed", big());
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    const rec = JSON.parse(line);
    expect(rec).toMatchObject({
      ts: "2026-01-02T03:04:05.006Z",
      level: "info",
      msg: "order placed",
      service: "svc",
      version: "1.2.3",
      user_id: 42,
      route: "/v1/orders",
    });
    // The largest field keeps its beginning, marked as a long string is.
    expect(rec.body).toMatch(/^b+…\[truncated \d+ chars\]$/);
    // What remained small enough stays whole.
    expect(rec.note).toBe("n".repeat(500));
    expect(rec.headers).toMatch(/^\[Cut: \d+ bytes\]$/);
    expect(t.logger.stats().oversized).toBe(1);
  });

  it("replaces a large non-string value with a marker", () => {
    const t = lines();
    const items = Array.from({ length: 900 }, (_, i) => ({ sku: `sku-${i}`, qty: i }));
    t.logger.info("cart", { items, user_id: 7 });
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    const rec = JSON.parse(line);
    expect(rec.items).toMatch(/^\[Cut: \d+ bytes\]$/);
    expect(rec.user_id).toBe(7);
  });

  it("drops whole fields, largest first, when cutting values is not enough, and says how many", () => {
    const t = lines();
    const fields: Record<string, string> = {};
    for (let i = 0; i < 500; i++) fields[`key_${i}`] = `value ${i}`;
    t.logger.info("many", fields);
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    const rec = JSON.parse(line);
    const kept = Object.keys(rec).filter((k) => k.startsWith("key_"));
    expect(kept.length).toBeGreaterThan(50);
    expect(rec["…"]).toBe(`${500 - kept.length} fields cut`);
    expect(rec.msg).toBe("many");
  });

  it("counts UTF-8 bytes, not characters", () => {
    const t = lines();
    // 2 000 characters, 6 000 bytes.
    t.logger.info("wide", { text: "€".repeat(2_000) });
    const line = t.out[0] as string;
    expect(line.length).toBeLessThan(MAX);
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    expect(JSON.parse(line).text).toMatch(/^€+…\[truncated \d+ chars\]$/);
  });

  it("cuts the message only when the envelope alone would not fit", () => {
    const t = lines({ limits: { maxLineBytes: 1024 } });
    t.logger.info("m".repeat(5_000), { small: 1 });
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(1024);
    const rec = JSON.parse(line);
    expect(rec.msg).toMatch(/^m+…\[truncated \d+ chars\]$/);
    expect(rec).toMatchObject({ level: "info", service: "svc", version: "1.2.3" });
    expect(rec.small ?? rec["…"]).toBeDefined();
  });

  it("keeps trace ids and keeps redacted fields redacted", async () => {
    const out: string[] = [];
    const telemetry = createTelemetry({
      serviceName: "svc",
      logging: {
        sink: lineSink((l) => out.push(l)),
        redactKeys: ["password"],
        limits: { maxLineBytes: MAX },
      },
      tracing: { exporter: new InMemorySpanExporter() },
    });
    await telemetry.run(() =>
      span("handle", async () => log.info("login", { password: "hunter2", ...big() })),
    );
    const rec = JSON.parse(out[0] as string);
    expect(bytes(out[0] as string)).toBeLessThanOrEqual(MAX);
    expect(rec.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(rec.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(rec.password).toBe("[REDACTED]");
    expect(out[0]).not.toContain("hunter2");
    await telemetry.shutdown();
  });

  it("leaves a line within the limit as it is, and does not count it", () => {
    const capped = lines();
    const free = lines({ limits: { maxLineBytes: Number.POSITIVE_INFINITY } });
    const fields = { user_id: 42, note: "n".repeat(1_500), wide: "€".repeat(500) };
    capped.logger.info("fits", fields);
    free.logger.info("fits", fields);
    expect(capped.out).toEqual(free.out);
    expect(capped.logger.stats().oversized).toBe(0);
  });

  it("turns the cap off with Infinity", () => {
    const t = lines({ limits: { maxLineBytes: Number.POSITIVE_INFINITY } });
    t.logger.info("order placed", big());
    expect(bytes(t.out[0] as string)).toBeGreaterThan(16_000);
    expect(t.logger.stats().oversized).toBe(0);
  });

  it("applies a 64 KiB cap by default", () => {
    const t = lines({ limits: {} });
    const fields: Record<string, string> = {};
    for (let i = 0; i < 10; i++) fields[`part_${i}`] = "x".repeat(16_000);
    t.logger.info("huge", fields);
    expect(bytes(t.out[0] as string)).toBeLessThanOrEqual(65_536);
    expect(t.logger.stats().oversized).toBe(1);
  });

  it("throws ERR_INVALID_OPTION at construction for a cap that is not a positive number", () => {
    for (const maxLineBytes of [0, -1, Number.NaN]) {
      let error: unknown;
      try {
        createLogger({ limits: { maxLineBytes } });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CoreError);
      expect(error).toMatchObject({ code: "ERR_INVALID_OPTION" });
    }
  });
});

describe("limits.maxLineBytes on text lines", () => {
  it("keeps the envelope and small fields, cuts the largest, stays one line", () => {
    const t = lines({ format: "text" });
    t.logger.info("order placed", { ...big(), step: "a\nb" });
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    expect(line).not.toContain("\n");
    expect(line.startsWith("2026-01-02T03:04:05.006Z INFO  order placed ")).toBe(true);
    expect(line).toContain(" user_id=42 ");
    expect(line).toContain(" route=/v1/orders ");
    expect(line).toMatch(/ body="b+…\[truncated \d+ chars\]"/);
    expect(line).toContain(' step="a\\nb"');
    expect(t.logger.stats().oversized).toBe(1);
  });

  it("drops whole fields when needed and says how many", () => {
    const t = lines({ format: "text", redactKeys: ["password"] });
    const fields: Record<string, string> = { password: "hunter2" };
    for (let i = 0; i < 500; i++) fields[`key_${i}`] = `value-${i}`;
    t.logger.info("many", fields);
    const line = t.out[0] as string;
    expect(bytes(line)).toBeLessThanOrEqual(MAX);
    expect(line).toMatch(/ …="\d+ fields cut"$/);
    expect(line).not.toContain("hunter2");
  });
});

describe("limits.maxLineBytes on records and span events", () => {
  it("cuts a record for a record sink as its JSON line would be, and counts it", () => {
    const sink = memorySink();
    const logger = createLogger({ sink, redactKeys: ["password"], limits: { maxLineBytes: MAX } });
    logger.info("order placed", { password: "hunter2", ...big() });
    const record = sink.records()[0];
    expect(record?.msg).toBe("order placed");
    expect(bytes(JSON.stringify(record?.fields))).toBeLessThanOrEqual(MAX);
    expect(record?.fields).toMatchObject({
      user_id: 42,
      route: "/v1/orders",
      password: "[REDACTED]",
    });
    expect(record?.fields.body).toMatch(/^b+…\[truncated \d+ chars\]$/);
    expect(logger.stats().oversized).toBe(1);
  });

  it("cuts a record's message only when its envelope alone would not fit", () => {
    const sink = memorySink();
    const logger = createLogger({ sink, limits: { maxLineBytes: 512 } });
    logger.info("m".repeat(5_000));
    expect(sink.records()[0]?.msg).toMatch(/^m+…\[truncated \d+ chars\]$/);
    expect((sink.records()[0]?.msg.length ?? 0) < 512).toBe(true);
  });

  it("cuts the fields of log records copied to span events", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logging: { sink: lineSink(() => {}), limits: { maxLineBytes: MAX } },
      tracing: { exporter },
    });
    await telemetry.run(() => span("handle", async () => log.info("order placed", big())));
    await telemetry.forceFlush();
    const attributes = exporter.getFinishedSpans()[0]?.events[0]?.attributes ?? {};
    expect(bytes(JSON.stringify(attributes))).toBeLessThanOrEqual(MAX);
    expect(attributes).toMatchObject({ "log.severity": "info", user_id: 42, route: "/v1/orders" });
    expect(String(attributes.body)).toMatch(/^b+…\[truncated \d+ chars\]$/);
    // The record was counted once, for its line.
    expect(telemetry.stats().logs.oversized).toBe(1);
    await telemetry.shutdown();
  });
});

describe("utf8Length", () => {
  it("agrees with TextEncoder, lone surrogates included", () => {
    for (const s of [
      "",
      "ascii",
      "é",
      "€uro",
      "😀",
      "a😀b",
      "\ud800",
      "x\udc00y",
      "\ud800\ud800",
      "\u07ff\u0800",
    ]) {
      expect(utf8Length(s)).toBe(bytes(s));
    }
  });
});
