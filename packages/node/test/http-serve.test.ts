import { request as httpRequest } from "node:http";
import { log, type Telemetry, TelemetryContext } from "@groundwork/core";
import { setTracer } from "@groundwork/core/tracing";
import { checkMetrics, useOtlpReceiver } from "@groundwork/test-harness";
import type { Tracer } from "@opentelemetry/api";
import { describe, expect, it, vi } from "vitest";
import { LAZY_REQUESTS } from "../src/http/lazy-request";
import { READS_BODY_SOURCE } from "../src/http/response";
import { NodeError, serve } from "../src/index";
import { find, REMOTE_SPAN, REMOTE_TRACE, send, sleep, until } from "./http-fixture";
import { useTestServers } from "./test-servers";

// serve() on real loopback sockets, spans through the real OTLP exporter to a
// receiver decoding the official protobufs, metrics checked by promtool.

const receiver = useOtlpReceiver();

const servers = useTestServers(receiver);
const start = servers.serve;

describe("serve: spans, logs and metrics", () => {
  it("continues the caller's trace in a SERVER span with HTTP attributes and returns its traceparent", async () => {
    const { server, t } = await start(
      (request) => {
        log.info("handling", { path: new URL(request.url).pathname });
        return Response.json({ ok: true });
      },
      { routes: ["/orders/:id"] },
    );
    const res = await send(`${server.url}/orders/42?secret=x`, {
      headers: {
        traceparent: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`,
        tracestate: "upstream=a1",
        "user-agent": "test-agent/1.0",
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    const spans = await t.spans();
    const s = find(spans, "GET /orders/:id");
    expect(s.kind).toBe("SPAN_KIND_SERVER");
    expect(s.traceId).toBe(REMOTE_TRACE);
    expect(s.parentSpanId).toBe(REMOTE_SPAN);
    expect(s.traceState).toBe("upstream=a1");
    expect(res.headers.traceparent).toBe(`00-${REMOTE_TRACE}-${s.spanId}-01`);
    expect(s.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/orders/42",
      "url.scheme": "http",
      "http.route": "/orders/:id",
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
      "server.port": server.port,
      "client.address": "127.0.0.1",
      "user_agent.original": "test-agent/1.0",
      "network.protocol.version": "1.1",
    });
    // The query may carry secrets: it is not recorded.
    expect(JSON.stringify(s.attributes)).not.toContain("secret");
    expect(s.status.code).toBe("STATUS_CODE_UNSET");
    // The handler's log line and the access log line are in the request's trace.
    const handling = t.logs().find((r) => r.msg === "handling");
    expect(handling?.traceId).toBe(REMOTE_TRACE);
    expect(handling?.spanId).toBe(s.spanId);
    const [access] = t.accessLogs();
    expect(access?.fields).toMatchObject({
      method: "GET",
      route: "/orders/:id",
      path: "/orders/42",
      status: 200,
      bytes: 11,
      client_address: "127.0.0.1",
    });
    expect(access?.fields.duration_ms).toBeTypeOf("number");
    expect(access?.traceId).toBe(REMOTE_TRACE);
    expect(t.accessLogs()).toHaveLength(1);
  });

  it("turns a throwing handler into a 500 logged once, with an ERROR span, and keeps serving", async () => {
    let calls = 0;
    const { server, t } = await start(async (request) => {
      calls++;
      if (new URL(request.url).pathname === "/boom") {
        await sleep(1);
        throw new RangeError("kaputt");
      }
      if (new URL(request.url).pathname === "/sync") throw "a string";
      return new Response("fine");
    });
    const boom = await send(`${server.url}/boom`);
    expect(boom.status).toBe(500);
    expect(boom.body).toBe("internal server error\n");
    expect(boom.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect((await send(`${server.url}/sync`)).status).toBe(500);
    const after = await send(`${server.url}/ok`);
    expect(after.status).toBe(200);
    expect(after.body).toBe("fine");
    expect(calls).toBe(3);
    const errors = t.logs().filter((r) => r.level === "error");
    expect(errors.map((r) => r.msg)).toEqual(["request handler failed", "request handler failed"]);
    const spans = await t.spans();
    const failed = spans.filter((s) => s.status.code === "STATUS_CODE_ERROR");
    expect(failed).toHaveLength(2);
    const boomSpan = failed.find((s) => s.attributes["url.path"] === "/boom");
    expect(boomSpan?.attributes["error.type"]).toBe("RangeError");
    expect(boomSpan?.attributes["http.response.status_code"]).toBe(500);
    // One exception event; the log lines are span events too.
    expect(boomSpan?.events.filter((e) => e.name === "exception")).toHaveLength(1);
    expect(t.accessLogs().map((r) => r.fields.status)).toEqual([500, 500, 200]);
  });

  it("answers 500 when the response body fails before anything was sent", async () => {
    const { server, t } = await start((request) => {
      if (new URL(request.url).pathname === "/used") {
        const used = new Response("x");
        void used.text();
        return used;
      }
      return new Response(
        new ReadableStream({
          pull() {
            throw new Error("no body today");
          },
        }),
      );
    });
    const failing = await send(`${server.url}/failing`);
    expect(failing.status).toBe(500);
    const used = await send(`${server.url}/used`);
    expect(used.status).toBe(500);
    expect((await send(`${server.url}/failing`)).status).toBe(500);
    const spans = await t.spans();
    expect(spans.filter((s) => s.status.code === "STATUS_CODE_ERROR")).toHaveLength(3);
    expect(t.logs().filter((r) => r.msg === "request handler failed")).toHaveLength(3);
  });

  it("marks 5xx answers as errors and 4xx answers as not", async () => {
    const { server, t } = await start((request) => {
      const status = Number(new URL(request.url).searchParams.get("status"));
      return new Response(null, { status });
    });
    await send(`${server.url}/a?status=503`);
    await send(`${server.url}/b?status=404`);
    const spans = await t.spans();
    const unavailable = spans.find((s) => s.attributes["http.response.status_code"] === 503);
    const notFound = spans.find((s) => s.attributes["http.response.status_code"] === 404);
    expect(unavailable?.status.code).toBe("STATUS_CODE_ERROR");
    expect(unavailable?.attributes["error.type"]).toBe("503");
    expect(notFound?.status.code).toBe("STATUS_CODE_UNSET");
    expect(notFound?.attributes["error.type"]).toBeUndefined();
  });

  it("keeps the metric label set bounded: _OTHER methods, unmatched routes; promtool accepts the output", async () => {
    const { server, t } = await start(() => new Response("x"), {
      routes: ["/orders", "/orders/:id", "/static/*"],
    });
    await send(`${server.url}/orders/1`);
    await send(`${server.url}/orders/2`);
    await send(`${server.url}/static/css/site.css`);
    await send(`${server.url}/random/${Math.random()}`);
    await send(`${server.url}/orders`, { method: "PURGE" });
    const text = t.registry.collect();
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 2',
    );
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="/static/*",status="200"} 1',
    );
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="unmatched",status="200"} 1',
    );
    expect(text).toContain(
      'http_server_requests_total{method="_OTHER",route="/orders",status="200"} 1',
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/orders/:id",status="200"} 2',
    );
    expect(text).toContain("http_server_requests_in_flight 0");
    const verdict = await checkMetrics(text);
    expect(verdict.problems).toEqual([]);
    const spans = await t.spans();
    const other = find(spans, "HTTP /orders");
    expect(other.attributes["http.request.method"]).toBe("_OTHER");
    expect(other.attributes["http.request.method_original"]).toBe("PURGE");
    const unmatched = spans.find((s) => String(s.attributes["url.path"]).startsWith("/random/"));
    expect(unmatched?.name).toBe("GET");
    expect(unmatched?.attributes["http.route"]).toBeUndefined();
  });

  it("templates identifier segments when no routes are configured, and groups 404s", async () => {
    const { server, t } = await start((request) =>
      new URL(request.url).pathname.startsWith("/users")
        ? new Response("u")
        : new Response("no", { status: 404 }),
    );
    await send(`${server.url}/users/123`);
    await send(`${server.url}/users/9c5b94b1-35ad-49bb-b118-8e8fc24abf80`);
    await send(`${server.url}/wp-admin.php`);
    const text = t.registry.collect();
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="/users/:id",status="200"} 2',
    );
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="unmatched",status="404"} 1',
    );
  });

  it("takes the route from a route function", async () => {
    const { server, t } = await start(() => new Response("x"), {
      route: (request) => (request.headers.get("x-route") ?? undefined) as string | undefined,
    });
    await send(`${server.url}/a`, { headers: { "x-route": "/a/:thing" } });
    await send(`${server.url}/b`);
    const text = t.registry.collect();
    expect(text).toContain('route="/a/:thing"');
    expect(text).toContain('route="unmatched"');
  });

  it("keeps each request's log and span apart under concurrency", async () => {
    const { server, t } = await start(async (request, ctx) => {
      const id = new URL(request.url).searchParams.get("id") ?? "";
      ctx.telemetry.log.addFields({ user: id });
      await sleep(Math.random() * 20);
      await new Promise<void>((resolve) => setImmediate(resolve));
      log.info("step", { id });
      await sleep(Math.random() * 10);
      log.info("done", { id });
      return new Response(id);
    });
    const ids = Array.from({ length: 40 }, (_, i) => String(i));
    const answers = await Promise.all(ids.map((id) => send(`${server.url}/x?id=${id}`)));
    expect(answers.map((a) => a.body)).toEqual(ids);
    const byId = new Map<string, Set<string>>();
    for (const r of t.logs().filter((x) => x.msg === "step" || x.msg === "done")) {
      expect(r.fields.user).toBe(r.fields.id);
      const set = byId.get(String(r.fields.id)) ?? new Set();
      set.add(String(r.traceId));
      byId.set(String(r.fields.id), set);
    }
    expect(byId.size).toBe(40);
    const traceIds = new Set<string>();
    for (const [id, set] of byId) {
      expect(set.size, `request ${id} logged under one trace`).toBe(1);
      traceIds.add([...set][0] as string);
    }
    expect(traceIds.size).toBe(40);
    // Access log lines carry the request's own fields, never another one's.
    expect(t.accessLogs()).toHaveLength(40);
    for (const r of t.accessLogs()) {
      expect(byId.get(String(r.fields.user))?.has(String(r.traceId))).toBe(true);
    }
  });
});

describe("serve: the request", () => {
  // Undici keeps a Request's state in symbol-keyed properties up to Node 22
  // and in private class fields from Node 24; only the former lets a request
  // made on first use pass for a real one.
  const major = Number(process.versions.node.split(".")[0]);

  it("is made on first use where the runtime allows it", () => {
    expect(LAZY_REQUESTS).toBe(major <= 22);
  });

  it("makes no Request for a handler that answers without using it", async () => {
    const Original = globalThis.Request;
    let made = 0;
    globalThis.Request = class CountingRequest extends Original {
      constructor(...args: ConstructorParameters<typeof Request>) {
        super(...args);
        made++;
      }
    };
    try {
      const { server } = await start((request) =>
        request.method === "GET" && new URL(request.url).pathname === "/headers"
          ? new Response(request.headers.get("x-seen"))
          : new Response("untouched"),
      );
      expect((await send(`${server.url}/plain`)).body).toBe("untouched");
      expect(made).toBe(LAZY_REQUESTS ? 0 : 1);
      expect((await send(`${server.url}/headers`, { headers: { "x-seen": "yes" } })).body).toBe(
        "yes",
      );
      expect(made).toBe(LAZY_REQUESTS ? 1 : 2);
    } finally {
      globalThis.Request = Original;
    }
  });

  it("passes for a real Request before and after it is made", async () => {
    const { server } = await start(async (request) => {
      if (request.method === "GET") {
        // A request as the init of another: its members are read one by one.
        const rebuilt = new Request("http://elsewhere.test/", request);
        return new Response(`${rebuilt.method} ${rebuilt.headers.get("x-forward")}`);
      }
      // Before anything makes it: the cheap members and the checks.
      const signal = request.signal;
      const early = {
        isRequest: request instanceof Request,
        tag: Object.prototype.toString.call(request),
        method: request.method,
        url: request.url,
        signal: signal instanceof AbortSignal,
        hasText: "text" in request,
      };
      const clone = request.clone();
      const copy = new Request(request, { headers: { "x-added": "1" } });
      return Response.json({
        early,
        sameSignal: request.signal === signal,
        cloneBody: await Request.prototype.text.call(clone),
        copyAdded: copy.headers.get("x-added"),
        copyBody: await copy.text(),
        bodyUsed: request.bodyUsed,
      });
    });
    const res = await send(`${server.url}/a/../copy?x=1`, {
      method: "POST",
      body: "payload",
      headers: { "content-type": "text/plain" },
    });
    expect(JSON.parse(res.body)).toEqual({
      early: {
        isRequest: true,
        tag: "[object Request]",
        method: "POST",
        url: `${server.url}/copy?x=1`,
        signal: true,
        hasText: true,
      },
      sameSignal: true,
      cloneBody: "payload",
      copyAdded: "1",
      copyBody: "payload",
      bodyUsed: true,
    });
    const forwarded = await send(`${server.url}/`, { headers: { "x-forward": "kept" } });
    expect(forwarded.body).toBe("GET kept");
  });

  it("streams a body the handler reads late, and fails it if the client went away first", async () => {
    let failure: unknown;
    let gone!: () => void;
    const clientGone = new Promise<void>((r) => {
      gone = r;
    });
    const { server } = await start(async (request) => {
      if (new URL(request.url).pathname === "/late") {
        await sleep(50);
        return new Response(`got ${await request.text()}`);
      }
      await clientGone;
      await sleep(20);
      try {
        await request.text();
      } catch (error) {
        failure = error;
      }
      return new Response("too late");
    });
    expect(
      (await send(`${server.url}/late`, { method: "POST", body: "x".repeat(3000) })).body,
    ).toBe(`got ${"x".repeat(3000)}`);
    const req = httpRequest(`${server.url}/gone`, {
      method: "POST",
      agent: false,
      headers: { "content-length": "100" },
    });
    req.on("error", () => {});
    req.write("partial");
    await sleep(20);
    req.destroy();
    gone();
    await until(() => failure !== undefined);
    expect(failure).toBeInstanceOf(NodeError);
    expect((failure as NodeError).code).toBe("ERR_CLIENT_ABORTED");
  });

  it("answers 400 to a request the fetch API refuses, up front or on first use", async () => {
    let called = 0;
    const { server, t } = await start((request) => {
      called++;
      return new Response(new URL(request.url).host);
    });
    const trace = await send(`${server.url}/`, { method: "TRACE" });
    expect(trace.status).toBe(400);
    expect(called).toBe(0);
    const badHost = await send(`${server.url}/`, { headers: { host: "example.test:99999" } });
    expect(badHost.status).toBe(400);
    expect(badHost.body).toBe("bad request\n");
    expect(t.logs().filter((r) => r.msg === "request refused")).toHaveLength(2);
    expect(t.logs().some((r) => r.msg === "request handler failed")).toBe(false);
    expect((await send(`${server.url}/`)).status).toBe(200);
  });
});

describe("serve: bodies", () => {
  it("streams the request body to the handler as it arrives", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const { server } = await start(async (request) => {
      const reader = (request.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        seen.push(decoder.decode(value));
        release();
      }
      return new Response(seen.join("|"));
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/upload`, { method: "POST", agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write("first");
      // The second chunk is only sent once the handler has read the first:
      // the body is not buffered before the handler runs.
      void released.then(() => req.end("second"));
    });
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body).toBe("first|second");
  });

  it("streams the response body out, chunk by chunk, before it ends", async () => {
    let clientGotFirst!: () => void;
    const gotFirst = new Promise<void>((r) => {
      clientGotFirst = r;
    });
    const { server, t } = await start(() => {
      const encoder = new TextEncoder();
      let step = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            step++;
            if (step === 1) controller.enqueue(encoder.encode("one,"));
            else if (step === 2) {
              // Only continue once the client has seen the first chunk.
              await gotFirst;
              controller.enqueue(encoder.encode("two"));
            } else controller.close();
          },
        }),
        { headers: { "content-type": "text/plain" } },
      );
    });
    const body = await new Promise<string>((resolve, reject) => {
      httpRequest(`${server.url}/stream`, { agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
          if (text === "one,") clientGotFirst();
        });
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    expect(body).toBe("one,two");
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields.bytes).toBe(7);
  });

  it("respects backpressure: a client that does not read stops the producer", async () => {
    let pulls = 0;
    const chunk = new Uint8Array(64 * 1024);
    const { server } = await start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulls++;
              controller.enqueue(chunk);
            },
          }),
        ),
    );
    const req = httpRequest(`${server.url}/endless`, { agent: false });
    const res = await new Promise<import("node:http").IncomingMessage>((resolve) => {
      req.on("response", resolve);
      req.end();
    });
    res.pause();
    await sleep(300);
    const stalled = pulls;
    await sleep(300);
    // 64 KiB per pull: with nobody reading, socket buffers fill and pulls stop.
    expect(pulls).toBe(stalled);
    expect(stalled * chunk.byteLength).toBeLessThan(64 * 1024 * 1024);
    req.destroy();
  });

  it("answers 413 to a Content-Length over the limit without calling the handler", async () => {
    let called = false;
    const { server, t } = await start(
      () => {
        called = true;
        return new Response("no");
      },
      { maxBodyBytes: 10 },
    );
    const res = await send(`${server.url}/upload`, { method: "POST", body: "x".repeat(11) });
    expect(res.status).toBe(413);
    expect(called).toBe(false);
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields.status).toBe(413);
    // The limit is inclusive.
    const ok = await send(`${server.url}/upload`, { method: "POST", body: "x".repeat(10) });
    expect(ok.status).toBe(200);
  });

  it("answers 413 when a chunked body grows past the limit while the handler reads it", async () => {
    let failure: unknown;
    const { server } = await start(
      async (request) => {
        try {
          return new Response(await request.text());
        } catch (error) {
          failure = error;
          throw error;
        }
      },
      { maxBodyBytes: 1024 },
    );
    const res = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/upload`, { method: "POST", agent: false }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("y".repeat(512));
      req.end();
    });
    expect(res).toBe(413);
    expect(failure).toBeInstanceOf(NodeError);
    expect((failure as NodeError).code).toBe("ERR_BODY_TOO_LARGE");
    expect((failure as NodeError).status).toBe(413);
  });

  it("aborts request.signal and cancels the response stream when the client goes away", async () => {
    let aborted = false;
    let cancelled = false;
    const { server, t } = await start((request) => {
      request.signal.addEventListener("abort", () => {
        aborted = true;
      });
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(5);
            controller.enqueue(new TextEncoder().encode("tick\n"));
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    });
    const req = httpRequest(`${server.url}/events`, { agent: false });
    await new Promise<void>((resolve) => {
      req.on("response", (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await until(() => aborted && cancelled);
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields.status).toBe(499);
    const spans = await t.spans();
    expect(spans[0]?.attributes["error.type"]).toBe("aborted");
    expect(t.registry.collect()).toContain("http_server_requests_in_flight 0");
  });

  it("sends a body complete in one chunk with Content-Length, byte for byte", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const { server } = await start((request) =>
      new URL(request.url).pathname === "/bytes"
        ? new Response(bytes)
        : new Response("héllo ✓", { headers: { "content-type": "text/plain; charset=utf-8" } }),
    );
    const binary = await fetch(`${server.url}/bytes`);
    expect(binary.headers.get("content-length")).toBe("256");
    expect(binary.headers.get("transfer-encoding")).toBeNull();
    expect(new Uint8Array(await binary.arrayBuffer())).toEqual(bytes);
    const text = await send(`${server.url}/text`);
    expect(text.body).toBe("héllo ✓");
    expect(text.headers["content-length"]).toBe(String(Buffer.byteLength("héllo ✓")));
  });

  it("writes the answer of a handler that returns at once before the request event returns", async () => {
    const ended: boolean[] = [];
    const { server } = await start((request) =>
      new URL(request.url).pathname === "/later"
        ? Promise.resolve(new Response("later"))
        : // A thenable that is not a native promise is awaited as well.
          ({
            // biome-ignore lint/suspicious/noThenProperty: the thenable under test
            then: (ok: (r: Response) => void) => ok(new Response("thenable")),
          } as unknown as Response),
    );
    const { server: now } = await start(() => new Response("now"));
    for (const s of [server, now]) {
      // Runs right after serve()'s own listener, in the same emit.
      s.server.on("request", (_req, res) => {
        ended.push(res.writableEnded);
      });
    }
    expect((await send(`${now.url}/`)).body).toBe("now");
    expect((await send(`${server.url}/later`)).body).toBe("later");
    expect((await send(`${server.url}/thenable`)).body).toBe("thenable");
    // Where the body's source cannot be read (Node 24), it is streamed, so
    // even a Response returned at once is written after the event.
    expect(ended).toEqual([READS_BODY_SOURCE, false, false]);
  });

  it("ends a body already in memory without waiting for an immediate, with Content-Length", async () => {
    const { server } = await start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("in memory"));
              controller.close();
            },
          }),
        ),
    );
    // serve() waits for an immediate only when a body's end is not known
    // within two microtask turns: none for a body that is in memory.
    const immediates = vi.spyOn(globalThis, "setImmediate");
    try {
      const res = await send(`${server.url}/`);
      expect(res.body).toBe("in memory");
      expect(res.headers["content-length"]).toBe("9");
      expect(
        immediates.mock.calls.filter((call: unknown[]) => typeof call[1] === "symbol"),
      ).toEqual([]);
    } finally {
      immediates.mockRestore();
    }
  });

  it("sends only what is left of a body the handler has read from already", async () => {
    const { server } = await start(async () => {
      const response = new Response("read already");
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      reader.releaseLock();
      return response;
    });
    const res = await send(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers["content-length"]).toBe("0");
  });

  it("answers HEAD with headers only", async () => {
    const { server } = await start(() => new Response("body", { headers: { "x-a": "1" } }));
    const res = await send(`${server.url}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["x-a"]).toBe("1");
    expect(res.body).toBe("");
  });

  it("keeps several Set-Cookie headers apart and serves keep-alive connections", async () => {
    const { server } = await start(() => {
      const headers = new Headers();
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response("ok", { headers });
    });
    const first = await fetch(`${server.url}/`);
    expect(first.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    await first.text();
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        httpRequest(`${server.url}/`, { agent }, (res) => {
          ports.add(res.socket.localPort ?? 0);
          res.resume();
          res.on("end", resolve);
        })
          .on("error", reject)
          .end();
      });
    }
    expect(ports.size).toBe(1);
    agent.destroy();
  });
});

describe("serve: lifecycle and options", () => {
  it("close() lets a request in flight finish, then stops", async () => {
    let started!: () => void;
    const inHandler = new Promise<void>((r) => {
      started = r;
    });
    const { server } = await start(async () => {
      started();
      await sleep(150);
      return new Response("slow but complete");
    });
    const pending = send(`${server.url}/slow`);
    await inHandler;
    const closed = server.close();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toBe("slow but complete");
    await closed;
    expect(server.server.listening).toBe(false);
    await expect(send(`${server.url}/again`)).rejects.toThrow();
  });

  it("close() is bounded: a request that never ends is dropped after the timeout", async () => {
    let aborted = false;
    const { server } = await start(
      (request) =>
        new Promise<Response>((resolve) => {
          request.signal.addEventListener("abort", () => {
            aborted = true;
            resolve(new Response("late"));
          });
        }),
    );
    const pending = send(`${server.url}/hang`).catch((error: unknown) => error);
    await sleep(50);
    const started = performance.now();
    await server.close({ timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(aborted).toBe(true);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("waits for waitUntil work on close and logs its failure", async () => {
    let finished = false;
    const { server, t } = await start((_request, ctx) => {
      ctx.waitUntil(
        sleep(100).then(() => {
          finished = true;
        }),
      );
      ctx.waitUntil(Promise.reject(new Error("background failed")));
      return new Response("ok");
    });
    expect((await send(`${server.url}/`)).status).toBe(200);
    await server.close();
    expect(finished).toBe(true);
    expect(t.logs().some((r) => r.msg === "waitUntil task failed")).toBe(true);
  });

  it("hands the handler a real Request that middleware can copy", async () => {
    const { server } = await start(async (request) => {
      const copy = new Request(request, { headers: { "x-added": "1" } });
      return Response.json({
        isRequest: request instanceof Request,
        signal: request.signal instanceof AbortSignal && !request.signal.aborted,
        added: copy.headers.get("x-added"),
        body: await copy.text(),
        url: new URL(request.url).pathname,
      });
    });
    const res = await send(`${server.url}/copy?x=1`, { method: "POST", body: "payload" });
    expect(JSON.parse(res.body)).toEqual({
      isRequest: true,
      signal: true,
      added: "1",
      body: "payload",
      url: "/copy",
    });
  });

  it("serves untraced, in the request's own forked log, when no span can be started", async () => {
    const t = servers.setup();
    const down = () => {
      throw new Error("tracer down");
    };
    const failing = { startSpan: down, startActiveSpan: down } as unknown as Tracer;
    const telemetry: Telemetry = {
      ...t.telemetry,
      context: TelemetryContext.fromOtel(setTracer(t.telemetry.context.otel, failing)),
    };
    const { server } = await start(
      (request) => {
        log.addFields({ user: new URL(request.url).searchParams.get("user") });
        log.info("handling");
        return new Response("ok");
      },
      { telemetry },
      t,
    );
    const first = await send(`${server.url}/a?user=u1`);
    const second = await send(`${server.url}/b?user=u2`);
    expect([first.status, first.body, second.status, second.body]).toEqual([200, "ok", 200, "ok"]);
    expect(first.headers.traceparent).toBeUndefined();
    const handling = t.logs().filter((r) => r.msg === "handling");
    // Each request's fields stay in its own log, and no line claims a trace.
    expect(handling.map((r) => r.fields.user)).toEqual(["u1", "u2"]);
    expect(handling.every((r) => r.traceId === undefined)).toBe(true);
    expect(t.accessLogs().map((r) => [r.fields.path, r.fields.user])).toEqual([
      ["/a", "u1"],
      ["/b", "u2"],
    ]);
    telemetry.context.log.info("after");
    expect(t.logs().find((r) => r.msg === "after")?.fields.user).toBeUndefined();
  });

  it("gives the handler the peer address", async () => {
    const { server } = await start((_request, ctx) => new Response(ctx.remoteAddress ?? "none"));
    expect((await send(`${server.url}/`)).body).toBe("127.0.0.1");
  });

  it("rejects invalid options at construction with ERR_INVALID_OPTION", () => {
    const bad: Array<Record<string, unknown>> = [
      { port: -1 },
      { port: 70_000 },
      { port: "80" },
      { host: "" },
      { maxBodyBytes: -5 },
      { maxBodyBytes: 1.5 },
      { routes: ["orders"] },
      { routes: "/orders" },
      { route: "/orders" },
      { metrics: {} },
      { telemetry: {} },
      { accessLog: "yes" },
      { shutdownTimeoutMs: -1 },
    ];
    for (const options of bad) {
      let thrown: unknown;
      try {
        void serve(() => new Response(""), options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(NodeError);
      expect((thrown as NodeError).code).toBe("ERR_INVALID_OPTION");
    }
    expect(() => serve("nope" as never)).toThrow(NodeError);
  });

  it("rejects with ERR_LISTEN when the port is taken", async () => {
    const { server } = await start(() => new Response(""));
    const t = servers.setup();
    await expect(
      serve(() => new Response(""), { port: server.port, telemetry: t.telemetry, metrics: false }),
    ).rejects.toMatchObject({ name: "NodeError", code: "ERR_LISTEN" });
  });
});
