import { type OtlpReceiver, startOtlpReceiver } from "@groundwork/test-harness";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bundleWorker, type EchoServer, startEchoServer, waitFor } from "./harness";

type Printed = { method: string; value: Record<string, unknown> };

let receiver: OtlpReceiver;
let echo: EchoServer;
let mf: Miniflare;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  echo = await startEchoServer();
  const script = await bundleWorker("./fixtures/events.ts");
  const worker = {
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: { OTLP: receiver.url, ECHO: echo.url },
  };
  mf = new Miniflare(
    convertV4MiniflareOptions({
      unsafeTriggerHandlers: true,
      workers: [
        // Every invocation of the producer is handed to the tail Worker's tail handler.
        { ...worker, name: "producer", tails: ["tailer"] },
        { ...worker, name: "tailer" },
      ],
    }),
  );
  await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await echo?.stop();
  await receiver?.stop();
});

beforeEach(async () => {
  receiver.reset();
  echo.requests.length = 0;
  await printed("producer");
  await printed("tailer");
});

/** One Worker of a Miniflare instance, to call its fetch handler directly. */
const workerOf = async (instance: Miniflare, name: string) =>
  (await instance.getWorker(name)) as unknown as { fetch(url: string): Promise<Response> };

async function printed(worker: string): Promise<Printed[]> {
  const res = await (await workerOf(mf, worker)).fetch("http://worker.test/__console");
  return (await res.json()) as Printed[];
}

function email(to: string): Promise<Response> {
  const raw = [
    "From: Sender <sender@example.com>",
    `To: ${to}`,
    "Subject: hello",
    "Message-ID: <m1@example.com>",
    "Content-Type: text/plain",
    "",
    "hello there",
    "",
  ].join("\r\n");
  const query = new URLSearchParams({ from: "sender@example.com", to });
  return mf.dispatchFetch(`http://worker.test/cdn-cgi/local/email?${query}`, {
    method: "POST",
    body: raw,
  });
}

describe("email", () => {
  it("traces an email invocation, its outbound call and its START entry, without addresses", async () => {
    const res = await email("orders@shop.example");
    expect(res.status).toBe(200);
    await res.text();
    const root = await waitFor(
      () => receiver.traces().find((s) => s.name === "email shop.example"),
      (s) => s !== undefined,
    );
    expect(root).toMatchObject({ kind: "SPAN_KIND_CONSUMER" });
    expect(root?.attributes).toMatchObject({
      "faas.trigger": "other",
      "cloudflare.email.to_domain": "shop.example",
    });
    expect(typeof root?.attributes["cloudflare.email.raw_size"]).toBe("number");
    expect(JSON.stringify(root?.attributes)).not.toContain("orders@");
    const spans = await waitFor(
      () => receiver.traces().filter((s) => s.traceId === root?.traceId),
      (s) => s.length >= 2,
    );
    expect(spans.find((s) => s.kind === "SPAN_KIND_CLIENT")?.parentSpanId).toBe(root?.spanId);
    expect(echo.requests.find((r) => r.path === "/mail")?.headers.traceparent).toContain(
      root?.traceId,
    );
    const lines = await waitFor(
      () => printed("producer"),
      (p) => p.some((l) => l.value.msg === "mail"),
    );
    const mine = lines.filter((l) => l.value.trace_id === root?.traceId);
    expect(mine.map((l) => l.value.msg)).toEqual(["START", "mail"]);
    expect(mine[0]?.value).toMatchObject({
      type: "meta",
      resource: "shop.example",
      method: "email",
      status: "ok",
      outcome: "ok",
    });
    const points = await waitFor(
      () => receiver.metrics(),
      (m) => m.some((p) => p.metric === "worker_requests" && p.attributes.method === "email"),
    );
    expect(
      points.find((p) => p.metric === "worker_requests" && p.attributes.method === "email")
        ?.attributes,
    ).toMatchObject({ api: "events", resource: "shop.example", status: "ok" });
  });

  it("records a rejected message as status rejected", async () => {
    const res = await email("nobody@shop.example");
    await res.text();
    const lines = await waitFor(
      () => printed("producer"),
      (p) => p.some((l) => l.value.msg === "START" && l.value.method === "email"),
    );
    expect(
      lines.find((l) => l.value.msg === "START" && l.value.method === "email")?.value,
    ).toMatchObject({ status: "rejected", outcome: "ok" });
  });
});

describe("tail", () => {
  it("traces the tail Worker's invocation, with the producer's events", async () => {
    const res = await mf.dispatchFetch("http://worker.test/produce");
    expect(await res.text()).toBe("ok");
    // The tail Worker also sees the test's own /__console reads: find the tail of /produce.
    const seen: Printed[] = [];
    await waitFor(
      async () => {
        seen.push(...(await printed("tailer")));
        return seen;
      },
      (p) => p.some((l) => l.value.msg === "tailed" && String(l.value.urls).includes("/produce")),
      10_000,
    );
    const line = seen.find(
      (l) => l.value.msg === "tailed" && String(l.value.urls).includes("/produce"),
    );
    const traceId = line?.value.trace_id;
    const spans = await waitFor(
      () => receiver.traces().filter((s) => s.traceId === traceId),
      (s) => s.length >= 2,
    );
    const root = spans.find((s) => s.name === "tail");
    expect(root).toMatchObject({ kind: "SPAN_KIND_CONSUMER" });
    // Local workerd leaves `scriptName` null, so the resource is the generic "tail".
    expect(root?.attributes).toMatchObject({ "cloudflare.tail.event_count": 1 });
    expect(spans.find((s) => s.kind === "SPAN_KIND_CLIENT")?.parentSpanId).toBe(root?.spanId);
    const mine = seen.filter((l) => l.value.trace_id === traceId);
    expect(mine.map((l) => l.value.msg)).toEqual(["START", "tailed"]);
    expect(mine[0]?.value).toMatchObject({ resource: "tail", method: "tail", status: "ok" });
    expect(mine[1]?.value).toMatchObject({ events: 1, outcomes: ["ok"], self: false });
  }, 20_000);
});

describe("a tail Worker tailing itself", () => {
  let chain: Miniflare;

  beforeAll(async () => {
    const script = await bundleWorker("./fixtures/events.ts");
    const worker = {
      modules: true,
      script,
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: { OTLP: receiver.url, ECHO: echo.url },
    };
    // workerd hands a tail invocation of "tailer" back to "tailer" (as an event with
    // `consumedEvents`) when what it consumed came from another Worker.
    chain = new Miniflare(
      convertV4MiniflareOptions({
        workers: [
          { ...worker, name: "producer", tails: ["tailer"] },
          { ...worker, name: "tailer", tails: ["tailer"] },
        ],
      }),
    );
    await chain.ready;
  }, 60_000);

  afterAll(async () => {
    await chain?.dispose();
  });

  it("does not trace or log the consumption of its own tail events", async () => {
    await (await chain.dispatchFetch("http://worker.test/produce")).text();
    // The tail of /produce is instrumented; the tail of that tail invocation is not.
    const seen: { self: boolean; instrumented: boolean }[] = [];
    await waitFor(
      async () => {
        const res = await (await workerOf(chain, "tailer")).fetch("http://worker.test/__tails");
        seen.push(...((await res.json()) as typeof seen));
        return seen;
      },
      (s) => s.some((t) => t.self) && s.some((t) => !t.self),
      10_000,
    );
    expect(seen.filter((t) => t.self).every((t) => !t.instrumented)).toBe(true);
    expect(seen.filter((t) => !t.self).every((t) => t.instrumented)).toBe(true);
  }, 20_000);
});
