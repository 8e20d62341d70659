import { span, startTrace, withForkedTrace } from "@groundwork/core";
import { context, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { TestingError } from "../errors";
import { createTraceCapture, routeGlobalTracer, setTraceCapture } from "./capture";
import { toHaveSpan, toHaveTraceTree } from "./matchers";
import { renderTraceTree } from "./render";
import { expectTraceTree, traceOutline } from "./shape";

// The package's vitest entry registers these for users; here they are
// registered and typed locally so this file tests the matcher functions alone.
expect.extend({ toHaveSpan, toHaveTraceTree } as Parameters<typeof expect.extend>[0]);
interface TraceAssertions {
  toHaveSpan(name: string | RegExp, attributes?: Record<string, unknown>): void;
  toHaveTraceTree(expected: unknown): void;
  not: TraceAssertions;
}
const expectTraces = (value: unknown) => expect(value) as unknown as TraceAssertions;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function handler(id: number) {
  return span("request", async () => {
    await span("db.query", { attributes: { "db.system": "postgresql", id } }, async () =>
      sleep(id),
    );
    await span("render", () => span("template", () => "html"));
  });
}

describe("createTraceCapture", () => {
  it("builds trace trees with children in start order", async () => {
    const t = createTraceCapture();
    await t.run(() => handler(1));
    expectTraceTree(t.traces(), ["request", ["db.query"], ["render", "template"]]);
    expectTraceTree(
      t.traces(),
      `
        request
          db.query
          render
            template
      `,
    );
    expect(t.spans().map((s) => s.name)).toEqual(["db.query", "template", "render", "request"]);
    const root = t.traces()[0]!;
    expect(root.children[0]).toMatchObject({
      name: "db.query",
      kind: "INTERNAL",
      attributes: { "db.system": "postgresql", id: 1 },
      status: { code: "UNSET" },
      events: [],
      links: [],
    });
  });

  it("renders stable text with ids normalised", () => {
    const render = () => {
      const t = createTraceCapture();
      t.run(() =>
        startTrace(
          "GET /orders",
          {
            stitchWith: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            kind: SpanKind.SERVER,
            attributes: { "http.route": "/orders" },
          },
          () => {
            withForkedTrace("send receipt", () => span("smtp", () => undefined));
            try {
              span("charge", () => {
                throw new Error("card declined");
              });
            } catch {}
          },
        ),
      );
      return renderTraceTree(t.traces());
    };
    const text = render();
    expect(text).toBe(render());
    expect(text).toBe(
      [
        "trace #1",
        "  (continues a remote parent)",
        "  GET /orders [SERVER]",
        '    @ http.route="/orders"',
        '    ! trace.fork {groundwork.fork.name="send receipt", groundwork.fork.span_id=<span #2 "send receipt">, groundwork.fork.trace_id=<trace #2>}',
        '    ~> #2 "send receipt" {groundwork.link.relation="forked_to"}',
        '    charge status=ERROR "card declined"',
        '      ! exception {exception.message="card declined", exception.stacktrace=<exception.stacktrace>, exception.type="Error"}',
        "trace #2",
        "  send receipt",
        '    ~> #1 "GET /orders" {groundwork.link.relation="forked_from"}',
        "    smtp",
      ].join("\n"),
    );
    expect(render().includes("4bf92f35")).toBe(false);
  });

  it("renders the guide's example as documented", async () => {
    const t = createTraceCapture();
    await t.run(() =>
      span("POST /orders", async () => {
        await span("save order", async () => undefined);
        await withForkedTrace("send receipt", () => span("smtp", () => undefined));
      }),
    );
    expectTraceTree(t.traces(), [
      ["POST /orders", "save order"],
      ["send receipt", "smtp"],
    ]);
    expect(renderTraceTree(t.traces())).toBe(
      [
        "trace #1",
        "  POST /orders",
        '    ! trace.fork {groundwork.fork.name="send receipt", groundwork.fork.span_id=<span #2 "send receipt">, groundwork.fork.trace_id=<trace #2>}',
        '    ~> #2 "send receipt" {groundwork.link.relation="forked_to"}',
        "    save order",
        "trace #2",
        "  send receipt",
        '    ~> #1 "POST /orders" {groundwork.link.relation="forked_from"}',
        "    smtp",
      ].join("\n"),
    );
  });

  it("render options leave out attributes, events and links", () => {
    const t = createTraceCapture();
    t.run(() => span("a", () => span("b", { attributes: { x: 1 } }, () => undefined)));
    expect(renderTraceTree(t.traces(), { attributes: false, events: false, links: false })).toBe(
      "trace #1\n  a\n    b",
    );
  });

  it("captures spans from the plain OpenTelemetry API inside its context only", async () => {
    expect(routeGlobalTracer()).toBe(true);
    const t = createTraceCapture();
    const lib = trace.getTracer("third-party-lib", "1.0.0");
    await t.run(() =>
      span("ours", async () => {
        await lib.startActiveSpan("theirs", { kind: SpanKind.CLIENT }, async (s) => {
          await sleep(1);
          span("ours again", () => undefined);
          s.end();
        });
        lib.startSpan("manual").end();
      }),
    );
    // Outside any capture the plain API stays a no-op.
    const outside = lib.startSpan("outside");
    expect(outside.isRecording()).toBe(false);
    outside.end();
    expectTraceTree(t.traces(), ["ours", ["theirs", "ours again"], "manual"]);
    const theirs = t.spans().find((s) => s.name === "theirs");
    expect(theirs?.instrumentationScope).toMatchObject({
      name: "third-party-lib",
      version: "1.0.0",
    });
    expect(theirs?.resource.attributes["service.name"]).toBe("test");
  });

  it("orders siblings as they were started, whatever their start times say", () => {
    const t = createTraceCapture();
    // Two clocks a fraction of a millisecond apart: the second sibling is stamped earlier.
    t.run(() =>
      span("parent", () => {
        t.tracer.startSpan("first", { startTime: [1_700_000_000, 900_000] }).end();
        t.tracer.startSpan("second", { startTime: [1_700_000_000, 400_000] }).end();
      }),
    );
    expectTraceTree(t.traces(), ["parent", "first", "second"]);
  });

  it("places spans it did not see start by their start time", () => {
    const t = createTraceCapture();
    const other = createTraceCapture();
    // Spans handed to the capture's exporter (as an instrumented Worker does) have no start
    // order here, whatever order they arrive in.
    other.run(() =>
      span("parent", () => {
        other.tracer.startSpan("late", { startTime: [1_700_000_002, 0] }).end();
        other.tracer.startSpan("early", { startTime: [1_700_000_001, 0] }).end();
      }),
    );
    t.exporter.export(other.spans(), () => {});
    expectTraceTree(t.traces(), ["parent", "early", "late"]);
  });

  it("keeps concurrently running captures apart, for both APIs", async () => {
    const lib = trace.getTracer("lib");
    const captures = [0, 1, 2].map(() => createTraceCapture());
    await Promise.all(
      captures.map((t, i) =>
        t.run(async () => {
          await sleep((3 - i) * 3);
          await span(`ours-${i}`, async () => {
            await sleep(i);
            lib.startSpan(`theirs-${i}`).end();
          });
        }),
      ),
    );
    captures.forEach((t, i) => {
      expectTraceTree(t.traces(), [`ours-${i}`, `theirs-${i}`]);
    });
  });

  it.concurrent.each([0, 1, 2, 3])("is isolated across concurrent tests (%i)", async (i) => {
    const t = createTraceCapture();
    const lib = trace.getTracer("lib");
    await t.run(async () => {
      for (let n = 0; n <= i; n++) {
        await sleep(2);
        lib.startSpan(`t${i}`).end();
      }
    });
    expect(t.spans().map((s) => s.name)).toEqual(Array(i + 1).fill(`t${i}`));
  });

  it("can be attached to an existing context", () => {
    const t = createTraceCapture();
    const key = Symbol("app");
    const ctx = setTraceCapture(ROOT_CONTEXT.setValue(key, "kept"), t);
    const seen = context.with(ctx, () => span("x", () => context.active().getValue(key)));
    expect(seen).toBe("kept");
    expect(t.spans()).toHaveLength(1);
  });

  it("bounds memory and resets", () => {
    const t = createTraceCapture({ maxSpans: 3 });
    t.run(() => {
      for (let i = 0; i < 5; i++) span(`s${i}`, () => undefined);
    });
    expect(t.spans()).toHaveLength(3);
    expect(t.dropped).toBe(2);
    t.reset();
    expect(t.spans()).toEqual([]);
    expect(t.dropped).toBe(0);
  });

  it("applies Groundwork sampling", () => {
    const t = createTraceCapture({ samplingRatio: 0 });
    t.run(() => span("dropped", () => undefined));
    t.run(() => startTrace("kept", { samplingRatio: 1 }, () => undefined));
    expect(t.spans().map((s) => s.name)).toEqual(["kept"]);
  });
});

describe("expectTraceTree", () => {
  it("accepts several traces and reports mismatches with both outlines", () => {
    const t = createTraceCapture();
    t.run(() => span("request", () => withForkedTrace("job", () => span("step", () => 1))));
    expectTraceTree(t.traces(), [["request"], ["job", "step"]]);
    expect(traceOutline(t.traces())).toBe("request\njob\n  step");
    let error: unknown;
    try {
      expectTraceTree(t.traces(), ["request", "job"]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({
      name: "TestingError",
      code: "ERR_TRACE_TREE_MISMATCH",
      expected: "request\n  job",
      actual: "request\njob\n  step",
    });
  });
});

describe("matchers", () => {
  it("toHaveSpan matches names and attribute subsets", async () => {
    const t = createTraceCapture();
    await t.run(() => handler(2));
    expectTraces(t).toHaveSpan("db.query");
    expectTraces(t).toHaveSpan("db.query", { "db.system": "postgresql" });
    expectTraces(t).toHaveSpan(/^tem/);
    expectTraces(t).toHaveSpan("db.query", { id: expect.any(Number) });
    expectTraces(t).not.toHaveSpan("db.query", { "db.system": "mysql" });
    expectTraces(t).not.toHaveSpan("cache.get");
    expect(() => expectTraces(t).toHaveSpan("cache.get")).toThrow(
      /expected a span cache.get, captured:\n {2}"db.query"/,
    );
    expect(() => expectTraces({}).toHaveSpan("x")).toThrow(/expects an object with spans\(\)/);
  });

  it("toHaveTraceTree asserts the shape", async () => {
    const t = createTraceCapture();
    await t.run(() => handler(1));
    expectTraces(t).toHaveTraceTree(["request", "db.query", ["render", "template"]]);
    expectTraces(t).not.toHaveTraceTree(["request"]);
    expect(() => expectTraces(t).toHaveTraceTree(["request"])).toThrow(
      /--- expected\nrequest\n\+\+\+ actual/,
    );
  });

  it("work as plain functions without a matcher context", () => {
    const t = createTraceCapture();
    t.run(() => span("a", { attributes: { tags: ["x", "y"] } }, () => undefined));
    expect(toHaveSpan.call(undefined, t, "a", { tags: ["x", "y"] }).pass).toBe(true);
    expect(toHaveSpan.call(undefined, t, "a", { tags: ["x"] }).pass).toBe(false);
  });
});
