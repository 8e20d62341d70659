import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTracing, type TracingOptions } from "./runtime";
import { span } from "./span";
import {
  ATTR_FORK_NAME,
  ATTR_FORK_SPAN_ID,
  ATTR_FORK_TRACE_ID,
  ATTR_LINK_RELATION,
  FORK_EVENT_NAME,
  startTrace,
  withForkedTrace,
} from "./traces";

function setup(options: Partial<TracingOptions> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({
    serviceName: "traces-test",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...options,
  });
  const run = <R>(fn: () => R): R => context.with(tracing.context(ROOT_CONTEXT), fn);
  const byName = (name: string) => {
    const found = exporter.getFinishedSpans().find((s) => s.name === name);
    if (!found) throw new Error(`no span ${name}`);
    return found;
  };
  const names = () => exporter.getFinishedSpans().map((s) => s.name);
  return { exporter, tracing, run, byName, names };
}

const REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN = "00f067aa0ba902b7";

describe("startTrace()", () => {
  it("starts a new root even inside another span", () => {
    const t = setup();
    t.run(() => span("outer", () => startTrace("job", () => span("step", () => undefined))));
    const job = t.byName("job");
    expect(job.parentSpanContext).toBeUndefined();
    expect(job.spanContext().traceId).not.toBe(t.byName("outer").spanContext().traceId);
    expect(t.byName("step").parentSpanContext?.spanId).toBe(job.spanContext().spanId);
  });

  it("stitches onto a remote parent given as a traceparent string", () => {
    const t = setup();
    t.run(() =>
      startTrace(
        "continued",
        {
          stitchWith: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`,
          kind: SpanKind.SERVER,
          attributes: { route: "/x" },
        },
        () => undefined,
      ),
    );
    const s = t.byName("continued");
    expect(s.spanContext().traceId).toBe(REMOTE_TRACE);
    expect(s.parentSpanContext?.spanId).toBe(REMOTE_SPAN);
    expect(s.parentSpanContext?.isRemote).toBe(true);
    expect(s.kind).toBe(SpanKind.SERVER);
    expect(s.attributes).toEqual({ route: "/x" });
  });

  it("stitches from headers, keeping tracestate and baggage", () => {
    const t = setup();
    let baggage: string | undefined;
    t.run(() =>
      startTrace(
        "from-headers",
        {
          stitchWith: new Headers({
            traceparent: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`,
            tracestate: "vendor=abc",
            baggage: "tenant=acme%20corp",
          }),
        },
        () => {
          baggage = propagation.getBaggage(context.active())?.getEntry("tenant")?.value;
        },
      ),
    );
    const s = t.byName("from-headers");
    expect(s.spanContext().traceId).toBe(REMOTE_TRACE);
    expect(s.spanContext().traceState?.get("vendor")).toBe("abc");
    expect(baggage).toBe("acme corp");
  });

  it("starts a fresh trace when the traceparent is invalid", () => {
    const t = setup();
    t.run(() =>
      startTrace(
        "fresh",
        {
          stitchWith: { traceparent: `00-${REMOTE_TRACE.toUpperCase()}-${REMOTE_SPAN}-01` },
        },
        () => undefined,
      ),
    );
    const s = t.byName("fresh");
    expect(s.parentSpanContext).toBeUndefined();
    expect(s.spanContext().traceId).not.toBe(REMOTE_TRACE);
  });

  it("honours an unsampled remote parent unless a ratio is given", () => {
    const t = setup();
    const unsampled = `00-${REMOTE_TRACE}-${REMOTE_SPAN}-00`;
    t.run(() => startTrace("dropped", { stitchWith: unsampled }, () => undefined));
    t.run(() => startTrace("kept", { stitchWith: unsampled, samplingRatio: 1 }, () => undefined));
    expect(t.names()).toEqual(["kept"]);
    expect(t.byName("kept").spanContext().traceId).toBe(REMOTE_TRACE);
  });

  it("applies a per-trace sampling ratio to the new root", () => {
    const t = setup({ samplingRatio: 1 });
    t.run(() => startTrace("never", { samplingRatio: 0 }, () => span("child", () => undefined)));
    t.run(() => startTrace("always", () => undefined));
    expect(t.names()).toEqual(["always"]);
  });
  it("starts in a given context: its values kept, its span not the parent", () => {
    const t = setup();
    const key = Symbol("app");
    let seen: unknown;
    let given = ROOT_CONTEXT;
    t.run(() =>
      span("outer", () => {
        given = context.active().setValue(key, "kept");
      }),
    );
    // Started from outside any context, so only `parent` can carry the tracer and the value.
    startTrace("in-given", { parent: given, kind: SpanKind.SERVER }, () => {
      seen = context.active().getValue(key);
      span("step", () => undefined);
    });
    const root = t.byName("in-given");
    expect(seen).toBe("kept");
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceId).not.toBe(t.byName("outer").spanContext().traceId);
    expect(t.byName("step").parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });
});

describe("withForkedTrace()", () => {
  it("starts a new trace linked both ways with the current span", () => {
    const t = setup();
    t.run(() =>
      span("request", () => {
        withForkedTrace(
          "background",
          {
            attributes: { job: "cleanup" },
          },
          () => span("work", () => undefined),
        );
      }),
    );
    const request = t.byName("request");
    const root = t.byName("background");
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceId).not.toBe(request.spanContext().traceId);
    expect(root.attributes).toEqual({ job: "cleanup" });
    expect(root.links).toHaveLength(1);
    expect(root.links[0]?.context.spanId).toBe(request.spanContext().spanId);
    expect(root.links[0]?.context.traceId).toBe(request.spanContext().traceId);
    expect(root.links[0]?.attributes?.[ATTR_LINK_RELATION]).toBe("forked_from");

    expect(request.links).toHaveLength(1);
    expect(request.links[0]?.context.traceId).toBe(root.spanContext().traceId);
    expect(request.links[0]?.attributes?.[ATTR_LINK_RELATION]).toBe("forked_to");
    const ev = request.events.find((e) => e.name === FORK_EVENT_NAME);
    expect(ev?.attributes).toEqual({
      [ATTR_FORK_TRACE_ID]: root.spanContext().traceId,
      [ATTR_FORK_SPAN_ID]: root.spanContext().spanId,
      [ATTR_FORK_NAME]: "background",
    });
    expect(t.byName("work").parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });

  it("a sampled parent makes the fork sampled even when new traces are not", () => {
    // Ratio 0 for new traces, but the request itself is a sampled continuation.
    const t = setup({ samplingRatio: 0 });
    t.run(() =>
      startTrace(
        "request",
        {
          stitchWith: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`,
        },
        () => withForkedTrace("fork", () => undefined),
      ),
    );
    expect(t.names().sort()).toEqual(["fork", "request"]);
  });

  it("an unsampled parent leaves the fork unsampled unless overridden", () => {
    const t = setup({ samplingRatio: 1 });
    t.run(() =>
      startTrace("request", { samplingRatio: 0 }, () => {
        withForkedTrace("inherits", () => span("inner", () => undefined));
        withForkedTrace(
          "overridden",
          {
            samplingRatio: 1,
          },
          () => span("inner-kept", () => undefined),
        );
      }),
    );
    expect(t.names().sort()).toEqual(["inner-kept", "overridden"]);
    // The parent was not recorded, so it could not record the fork.
    expect(t.byName("overridden").links[0]?.context.traceId).toHaveLength(32);
  });

  it("without a current span the fork is an ordinary new root", () => {
    const t = setup();
    t.run(() => withForkedTrace("orphan", () => undefined));
    expect(t.byName("orphan").links).toEqual([]);
  });

  it("withForkedTrace with a parent starts the root when run, from a context captured earlier", async () => {
    const t = setup();
    let saved = ROOT_CONTEXT;
    t.run(() =>
      span("request", () => {
        saved = context.active();
      }),
    );
    const requestEnd = t.byName("request").endTime;
    await new Promise((r) => setTimeout(r, 5));
    const result = await withForkedTrace("later", { parent: saved }, async (root) => {
      expect(trace.getSpan(context.active())).toBe(root);
      await new Promise((r) => setTimeout(r, 5));
      return "ok";
    });
    expect(result).toBe("ok");
    const later = t.byName("later");
    const startMs = later.startTime[0] * 1e3 + later.startTime[1] / 1e6;
    const endMs = later.endTime[0] * 1e3 + later.endTime[1] / 1e6;
    const requestEndMs = requestEnd[0] * 1e3 + requestEnd[1] / 1e6;
    expect(startMs).toBeGreaterThan(requestEndMs);
    expect(endMs - startMs).toBeGreaterThanOrEqual(4);
    expect(later.links[0]?.context.spanId).toBe(t.byName("request").spanContext().spanId);
  });

  it("keeps other context values of the captured context", () => {
    const t = setup();
    const key = Symbol("app");
    let seen: unknown;
    t.run(() =>
      span("request", () => {
        withForkedTrace("fork", { parent: context.active().setValue(key, "kept") }, () => {
          seen = context.active().getValue(key);
        });
      }),
    );
    expect(seen).toBe("kept");
  });
});
