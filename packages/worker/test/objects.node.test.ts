import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "@groundwork/test-harness";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bundleWorker, startWorker } from "./harness";

let receiver: OtlpReceiver;
let mf: Miniflare;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const script = await bundleWorker("./fixtures/objects.ts");
  mf = await startWorker(script, { OTLP: receiver.url }, ["nodejs_compat"], {
    durableObjects: { COUNTER: "CounterObject" },
    serviceBindings: { API: { name: "worker", entrypoint: "ApiEntrypoint" } },
  });
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await receiver?.stop();
});

beforeEach(() => receiver.reset());

async function traceOf(res: Response, count: number): Promise<ReceivedSpan[]> {
  const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
  const until = Date.now() + 5000;
  for (;;) {
    const spans = receiver.traces().filter((s) => s.traceId === traceId);
    if (spans.length >= count || Date.now() > until) return spans;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("Durable Objects and RPC", () => {
  it("continues the caller's trace into a Durable Object RPC method", async () => {
    const res = await mf.dispatchFetch("http://worker.test/rpc");
    expect(Number(await res.text())).toBeGreaterThan(0);
    const spans = await traceOf(res, 3);
    const server = spans.find((s) => s.name === "GET /rpc");
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    const method = spans.find((s) => s.name === "Counter.increment");
    expect(client).toMatchObject({ name: "increment", parentSpanId: server?.spanId });
    expect(method).toMatchObject({ kind: "SPAN_KIND_SERVER", parentSpanId: client?.spanId });
    expect(method?.attributes).toMatchObject({
      "rpc.service": "Counter",
      "rpc.method": "increment",
    });
    expect(method?.events.map((e) => e.name)).toEqual(["incrementing"]);
  });

  it("traces an RPC method called without a traced stub in a trace of its own", async () => {
    receiver.reset();
    await (await mf.dispatchFetch("http://worker.test/rpc-plain")).text();
    const spans = await receiver.waitForSpans(2);
    const method = spans.find((s) => s.name === "Counter.increment");
    const server = spans.find((s) => s.name === "GET /rpc-plain");
    expect(method?.parentSpanId).toBeUndefined();
    expect(method?.traceId).not.toBe(server?.traceId);
  });

  it("records a failing RPC method on both sides; the error reaches the caller", async () => {
    const res = await mf.dispatchFetch("http://worker.test/rpc-error");
    expect(await res.text()).toContain("counter broke");
    const spans = await traceOf(res, 3);
    expect(spans.find((s) => s.name === "Counter.fail")?.status.code).toBe("STATUS_CODE_ERROR");
    expect(spans.find((s) => s.name === "fail")?.status.code).toBe("STATUS_CODE_ERROR");
  });

  it("continues the trace into a Durable Object's fetch", async () => {
    const res = await mf.dispatchFetch("http://worker.test/object-fetch");
    expect(await res.text()).toBe("object /hello");
    const spans = await traceOf(res, 3);
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    const inner = spans.find((s) => s.name === "GET /hello");
    expect(inner).toMatchObject({ kind: "SPAN_KIND_SERVER", parentSpanId: client?.spanId });
  });

  it("continues the trace over a service binding's fetch, traced without a wrapper", async () => {
    const res = await mf.dispatchFetch("http://worker.test/service-fetch");
    expect(await res.text()).toBe("api /ping");
    const spans = await traceOf(res, 3);
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    expect(client?.attributes["url.full"]).toBe("http://api/ping");
    expect(spans.find((s) => s.name === "GET /ping")).toMatchObject({
      kind: "SPAN_KIND_SERVER",
      parentSpanId: client?.spanId,
    });
  });

  it("continues the trace into a WorkerEntrypoint RPC method over a service binding", async () => {
    const res = await mf.dispatchFetch("http://worker.test/entrypoint");
    expect(await res.text()).toBe("3");
    const spans = await traceOf(res, 3);
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    expect(spans.find((s) => s.name === "Api.add")).toMatchObject({
      kind: "SPAN_KIND_SERVER",
      parentSpanId: client?.spanId,
    });
  });
});
