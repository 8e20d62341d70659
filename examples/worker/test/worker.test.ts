import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type OtlpReceiver, startOtlpReceiver } from "@groundwork/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";

// The example runs as users run it: bundled by Wrangler from wrangler.toml, in workerd.
// Workspace packages are bundled from their TypeScript sources.
process.env.WRANGLER_BUILD_CONDITIONS = "source,workerd,worker,browser";
process.env.WRANGLER_SEND_METRICS = "false";

const root = fileURLToPath(new URL("..", import.meta.url));
let receiver: OtlpReceiver;
let worker: Unstable_DevWorker;
const quotes: IncomingHttpHeaders[] = [];
const quoteServer = createServer((req, res) => {
  quotes.push(req.headers);
  res.end("Simplicity is prerequisite for reliability.");
});

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  await new Promise<void>((resolve) => quoteServer.listen(0, "127.0.0.1", resolve));
  const { port } = quoteServer.address() as AddressInfo;
  worker = await unstable_dev(`${root}src/index.ts`, {
    config: `${root}wrangler.toml`,
    vars: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      QUOTES_URL: `http://127.0.0.1:${port}/random`,
    },
    ip: "127.0.0.1",
    logLevel: "none",
    experimental: { disableExperimentalWarning: true, testScheduled: true },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  quoteServer.closeAllConnections();
  await new Promise<void>((resolve) => quoteServer.close(() => resolve()));
  await receiver?.stop();
});

async function spansOf(traceId: string | undefined, count: number) {
  const until = Date.now() + 10_000;
  for (;;) {
    const spans = receiver.traces().filter((s) => s.traceId === traceId);
    if (spans.length >= count || Date.now() > until) return spans;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("example worker", () => {
  it("answers and exports the request's trace, the rate limit check included", async () => {
    const res = await worker.fetch("/");
    expect(await res.text()).toBe("hello from an instrumented Worker\n");
    const traceId = res.headers.get("traceparent")?.split("-")[1];
    const spans = await spansOf(traceId, 2);
    expect(spans.map((s) => s.name).sort()).toEqual(["GET /", "rate limit"]);
  });

  it("sends traceparent on the outbound fetch", async () => {
    const res = await worker.fetch("/quote");
    expect(await res.text()).toContain("Simplicity");
    const traceId = res.headers.get("traceparent")?.split("-")[1];
    const spans = await spansOf(traceId, 3);
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    // A new trace: sampled, with the Trace Context Level 2 random flag (03).
    expect(quotes.at(-1)?.traceparent).toBe(`00-${traceId}-${client?.spanId}-03`);
  });

  it("traces the Durable Object's RPC method under the request", async () => {
    const res = await worker.fetch("/visits");
    expect(await res.text()).toMatch(/^\d+ visits\n$/);
    const traceId = res.headers.get("traceparent")?.split("-")[1];
    const spans = await spansOf(traceId, 4);
    const client = spans.find((s) => s.name === "increment");
    expect(spans.find((s) => s.name === "Counter.increment")?.parentSpanId).toBe(client?.spanId);
  });

  it("runs the scheduled handler with its own trace and pushes request metrics", async () => {
    const before = quotes.length;
    const res = await worker.fetch("/__scheduled?cron=*/5+*+*+*+*");
    expect(res.status).toBe(200);
    await res.text();
    const until = Date.now() + 10_000;
    while (!receiver.traces().some((s) => s.name === "scheduled */5 * * * *")) {
      if (Date.now() > until) throw new Error("no scheduled span");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(quotes.length).toBe(before + 1);
    const requests = receiver.metrics().filter((p) => p.metric === "worker_requests");
    expect(requests.some((p) => p.attributes.method === "scheduled")).toBe(true);
    expect(requests.some((p) => p.attributes.resource === "/quote")).toBe(true);
  });
});
