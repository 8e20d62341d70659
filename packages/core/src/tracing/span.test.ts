import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { addSpanEvent, currentSpan, currentTraceId, setSpanAttributes } from "./helpers";
import { createTracing } from "./runtime";
import { span } from "./span";
import { getTracer, setTracer } from "./tracer";
import { startTrace } from "./traces";

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({
    serviceName: "span-test",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const run = <R>(fn: () => R): R => context.with(tracing.context(ROOT_CONTEXT), fn);
  const byName = (name: string) => {
    const found = exporter.getFinishedSpans().find((s) => s.name === name);
    if (!found) throw new Error(`no span ${name}`);
    return found;
  };
  return { exporter, tracing, run, byName };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("span()", () => {
  it("runs a sync function in a child span and returns its value", () => {
    const t = setup();
    const value = t.run(() =>
      span("parent", () =>
        span("child", { attributes: { "a.b": 1 } }, (s) => (s.isRecording() ? 42 : 0)),
      ),
    );
    expect(value).toBe(42);
    const parent = t.byName("parent");
    const child = t.byName("child");
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.attributes).toEqual({ "a.b": 1 });
    expect(child.ended).toBe(true);
    expect(child.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("ends an async span when its promise settles, not when fn returns", async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pending = t.run(() =>
      span("slow", async () => {
        await gate;
        return "done";
      }),
    );
    await tick();
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
    release();
    await expect(pending).resolves.toBe("done");
    expect(t.byName("slow").ended).toBe(true);
  });

  it("returns fn's own promise object", () => {
    const t = setup();
    const p = Promise.resolve(1);
    expect(t.run(() => span("p", () => p))).toBe(p);
  });

  it("records a thrown error, sets ERROR status and rethrows", () => {
    const t = setup();
    const boom = new TypeError("boom");
    expect(() =>
      t.run(() =>
        span("fails", () => {
          throw boom;
        }),
      ),
    ).toThrow(boom);
    const s = t.byName("fails");
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    const ev = s.events.find((e) => e.name === "exception");
    expect(ev?.attributes?.["exception.type"]).toBe("TypeError");
    expect(ev?.attributes?.["exception.message"]).toBe("boom");
  });

  it("records a rejection and passes it on", async () => {
    const t = setup();
    await expect(
      t.run(() =>
        span("rejects", async () => {
          await tick();
          throw new Error("late");
        }),
      ),
    ).rejects.toThrow("late");
    expect(t.byName("rejects").status.code).toBe(SpanStatusCode.ERROR);
  });

  it("records non-Error throwables", () => {
    const t = setup();
    expect(() =>
      t.run(() =>
        span("odd", () => {
          throw "plain string";
        }),
      ),
    ).toThrow("plain string");
    expect(t.byName("odd").status).toEqual({ code: SpanStatusCode.ERROR, message: "plain string" });
  });

  it("accepts options with kind and links", () => {
    const t = setup();
    t.run(() => {
      const other = getTracer().startSpan("other");
      other.end();
      span(
        "client",
        {
          kind: SpanKind.CLIENT,
          attributes: { x: "y" },
          links: [{ context: other.spanContext() }],
        },
        () => undefined,
      );
    });
    const s = t.byName("client");
    expect(s.kind).toBe(SpanKind.CLIENT);
    expect(s.attributes).toEqual({ x: "y" });
    expect(s.links[0]?.context.spanId).toBe(t.byName("other").spanContext().spanId);
  });

  it("keeps the span active across await and timers", async () => {
    const t = setup();
    const seen: (string | undefined)[] = [];
    await t.run(() =>
      span("outer", async (s) => {
        const id = s.spanContext().spanId;
        await tick();
        seen.push(currentSpan()?.spanContext().spanId === id ? "await" : undefined);
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.push(currentSpan()?.spanContext().spanId === id ? "timer" : undefined);
            resolve();
          }, 2),
        );
        await Promise.all([
          span("a", async () => {
            await tick();
            setSpanAttributes({ branch: "a" });
          }),
          span("b", async () => {
            await tick();
            setSpanAttributes({ branch: "b" });
          }),
        ]);
      }),
    );
    expect(seen).toEqual(["await", "timer"]);
    expect(t.byName("a").attributes).toEqual({ branch: "a" });
    expect(t.byName("b").attributes).toEqual({ branch: "b" });
    expect(t.byName("a").parentSpanContext?.spanId).toBe(t.byName("outer").spanContext().spanId);
  });

  it("helpers add events and read the trace id", () => {
    const t = setup();
    let traceId: string | undefined;
    t.run(() =>
      span("h", () => {
        addSpanEvent("cache.miss", { key: "k" });
        traceId = currentTraceId();
      }),
    );
    expect(t.byName("h").events.map((e) => e.name)).toEqual(["cache.miss"]);
    expect(traceId).toBe(t.byName("h").spanContext().traceId);
    expect(currentTraceId(ROOT_CONTEXT)).toBeUndefined();
    expect(() => setSpanAttributes({ outside: true })).not.toThrow();
  });

  it("skips creating children of an unsampled local span, still running fn in it", () => {
    const t = setup();
    const seen = t.run(() =>
      startTrace("unsampled", { samplingRatio: 0 }, (root) =>
        span("child", (child) => ({
          same: child === root,
          recording: child.isRecording(),
          active: currentSpan() === root,
        })),
      ),
    );
    expect(seen).toEqual({ same: true, recording: false, active: true });
    expect(t.exporter.getFinishedSpans()).toEqual([]);
    // A sampled parent still gets real children.
    t.run(() => span("sampled", (root) => span("child", (child) => expect(child).not.toBe(root))));
    expect(t.byName("child").parentSpanContext?.spanId).toBe(
      t.byName("sampled").spanContext().spanId,
    );
  });

  it("still runs fn when the tracer throws", () => {
    const broken = {
      startSpan() {
        throw new Error("tracer broke");
      },
      startActiveSpan() {
        throw new Error("tracer broke");
      },
    };
    const ctx = setTracer(ROOT_CONTEXT, broken);
    expect(span("x", { parent: ctx }, (s) => (s.isRecording() ? "recording" : "ran"))).toBe("ran");
  });
});
