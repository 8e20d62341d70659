import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTrace } from "@groundwork/core";
import { freePort, useOtlpReceiver } from "@groundwork/test-harness";
import { afterEach, describe, expect, it } from "vitest";
import { instrumentFetch, NodeError, serve } from "../src/index";
import { find, setup, type TestSetup } from "./http-fixture";

// Outbound fetch through instrumentFetch() against real loopback servers;
// spans decoded by the OTLP receiver.

const receiver = useOtlpReceiver();

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

function tracked(): TestSetup {
  const t = setup(receiver);
  cleanups.push(() => t.telemetry.shutdown());
  return t;
}

/** A plain server that records the headers it received and answers with the status asked for. */
async function echoServer(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    const status = Number(new URL(req.url ?? "/", "http://x").searchParams.get("status") ?? 200);
    res.writeHead(status, { "content-type": "text/plain" });
    res.end("echo");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("instrumentFetch", () => {
  it("makes a CLIENT span whose traceparent the server continues", async () => {
    const t = tracked();
    const server = await serve(() => new Response("hi"), {
      telemetry: t.telemetry,
      metrics: false,
      routes: ["/hello"],
    });
    cleanups.push(() => server.close());
    const tracedFetch = instrumentFetch();
    const body = await t.telemetry.run(() =>
      startTrace("job", async () => {
        const res = await tracedFetch(`${server.url}/hello?page=2&api_key=s3cr3t#frag`);
        return res.text();
      }),
    );
    expect(body).toBe("hi");
    const spans = await t.spans();
    const job = find(spans, "job");
    const client = find(spans, "GET");
    const handled = find(spans, "GET /hello");
    expect(client.kind).toBe("SPAN_KIND_CLIENT");
    expect(client.parentSpanId).toBe(job.spanId);
    expect(handled.parentSpanId).toBe(client.spanId);
    expect(handled.traceId).toBe(job.traceId);
    expect(client.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.full": `${server.url}/hello?page=2&api_key=[REDACTED]`,
      "server.address": "127.0.0.1",
      "server.port": server.port,
      "http.response.status_code": 200,
    });
    expect(client.status.code).toBe("STATUS_CODE_UNSET");
  });

  it("marks 4xx and 5xx answers as errors and hands the response back untouched", async () => {
    const t = tracked();
    const { url } = await echoServer();
    const tracedFetch = instrumentFetch();
    const res = await t.telemetry.run(() =>
      startTrace("job", () => tracedFetch(`${url}/x?status=404`)),
    );
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("echo");
    const client = find(await t.spans(), "GET");
    expect(client.status.code).toBe("STATUS_CODE_ERROR");
    expect(client.attributes["error.type"]).toBe("404");
  });

  it("injects traceparent without touching the caller's headers or dropping them", async () => {
    const t = tracked();
    const { url, seen } = await echoServer();
    const tracedFetch = instrumentFetch();
    const headers = new Headers({ "x-mine": "1" });
    const request = new Request(`${url}/r`, {
      method: "POST",
      headers: { "x-req": "2" },
      body: "b",
    });
    await t.telemetry.run(() =>
      startTrace("job", async () => {
        await tracedFetch(`${url}/a`, { headers });
        await tracedFetch(request);
      }),
    );
    expect(headers.has("traceparent")).toBe(false);
    expect(request.headers.has("traceparent")).toBe(false);
    expect(seen[0]?.["x-mine"]).toBe("1");
    expect(seen[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect(seen[1]?.["x-req"]).toBe("2");
    expect(seen[1]?.traceparent).toMatch(/^00-/);
    const spans = await t.spans();
    expect(spans.find((s) => s.name === "POST")?.attributes["url.full"]).toBe(`${url}/r`);
  });

  it("rejects with exactly what fetch rejects with, and records it", async () => {
    const t = tracked();
    const tracedFetch = instrumentFetch();
    const port = await freePort();
    const refused = `http://127.0.0.1:${port}/down`;
    const plainError = await fetch(refused).catch((e: unknown) => e);
    const error = await t.telemetry.run(() =>
      startTrace("job", () => tracedFetch(refused).catch((e: unknown) => e)),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe((plainError as Error).message);
    const client = find(await t.spans(), "GET");
    expect(client.status.code).toBe("STATUS_CODE_ERROR");
    expect(client.attributes["error.type"]).toBe("TypeError");
    expect(client.events.map((e) => e.name)).toContain("exception");

    // Input fetch itself refuses gives fetch's own error, unchanged.
    for (const input of ["not a url", "http://user:pass@127.0.0.1:1/"]) {
      const theirs = await fetch(input).catch((e: unknown) => e);
      const ours = await tracedFetch(input).catch((e: unknown) => e);
      expect((ours as Error).constructor).toBe((theirs as Error).constructor);
      expect((ours as Error).message).toBe((theirs as Error).message);
    }
    const spans = await t.spans();
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain("pass");
  });

  it("passes an abort through as the same AbortError", async () => {
    const tracedFetch = instrumentFetch();
    const { url } = await echoServer();
    const controller = new AbortController();
    controller.abort();
    const error = await tracedFetch(url, { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
  });

  it("installs itself as the global fetch only when asked, once", async () => {
    const original = globalThis.fetch;
    try {
      const tracedFetch = instrumentFetch();
      expect(globalThis.fetch).toBe(original);
      const installed = instrumentFetch({ install: true });
      expect(globalThis.fetch).toBe(installed);
      // Wrapping the installed wrapper again wraps the original: one span per call.
      const again = instrumentFetch();
      const t = tracked();
      const { url } = await echoServer();
      await t.telemetry.run(() => startTrace("job", () => again(url)));
      expect((await t.spans()).filter((s) => s.name === "GET")).toHaveLength(1);
      expect(tracedFetch).not.toBe(installed);
    } finally {
      globalThis.fetch = original;
    }
  });

  it("rejects invalid options", () => {
    expect(() => instrumentFetch({ fetch: "x" as never })).toThrow(NodeError);
    expect(() => instrumentFetch({ install: 1 as never })).toThrow(NodeError);
    expect(() => instrumentFetch({ redactQueryParams: [1] as never })).toThrow(NodeError);
  });
});
