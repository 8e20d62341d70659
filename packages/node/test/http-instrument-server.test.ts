import {
  createServer,
  request as httpRequest,
  IncomingMessage,
  type Server,
  ServerResponse,
} from "node:http";
import { Socket } from "node:net";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { log, type Telemetry, type TelemetryContext } from "@groundwork/core";
import { useOtlpReceiver } from "@groundwork/test-harness";
import { describe, expect, it } from "vitest";
import { instrumentServer, NodeError } from "../src/index";
import { send, sleep, type TestSetup, until } from "./http-fixture";
import { useTestServers } from "./test-servers";

// instrumentServer() on plain node:http servers: context must follow the
// request through EventEmitter callbacks and streams, which Node runs in the
// socket's context unless told otherwise.

const receiver = useOtlpReceiver();

const servers = useTestServers(receiver);

function post(url: string, id: string, chunks: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    let i = 0;
    const next = () => {
      if (i === chunks) {
        req.end();
        return;
      }
      req.write(`${id}:${i++};`);
      setTimeout(next, Math.random() * 5);
    };
    next();
  });
}

describe("instrumentServer: context across events and streams", () => {
  it("runs data, end, finish and close listeners in the request's context", async () => {
    const t = servers.setup();
    const server = createServer((req, res) => {
      const id = new URL(req.url ?? "/", "http://x").searchParams.get("id") ?? "";
      log.addFields({ request: id });
      req.on("data", () => log.info("chunk"));
      req.on("end", () => {
        log.info("body ended");
        setTimeout(() => {
          res.end(id);
        }, Math.random() * 5);
      });
      res.on("finish", () => log.info("response finished"));
      res.on("close", () => log.info("response closed"));
    });
    const url = await servers.listen(
      instrumentServer(server, { telemetry: t.telemetry, metrics: t.registry }),
    );
    const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
    const bodies = await Promise.all(ids.map((id) => post(`${url}/?id=${id}`, id, 4)));
    expect(bodies).toEqual(ids);
    await until(() => t.logs().filter((r) => r.msg === "response closed").length === 20);
    const messages = ["chunk", "body ended", "response finished", "response closed"];
    const records = t.logs().filter((r) => messages.includes(r.msg));
    expect(records.length).toBeGreaterThanOrEqual(20 * 4);
    const traceOf = new Map<string, string>();
    for (const r of records) {
      // Every record carries the field its request added, and one trace per request.
      expect(r.fields.request, `${r.msg} ran outside its request's log`).toMatch(/^r\d+$/);
      const id = String(r.fields.request);
      const seen = traceOf.get(id) ?? String(r.traceId);
      expect(String(r.traceId)).toBe(seen);
      traceOf.set(id, seen);
    }
    expect(new Set(traceOf.values()).size).toBe(20);
  });

  it("keeps the request's context through a stream pipeline", async () => {
    const t = servers.setup();
    const server = createServer(async (req, res) => {
      const id = new URL(req.url ?? "/", "http://x").searchParams.get("id") ?? "";
      log.addFields({ request: id });
      const upper = new Transform({
        transform(chunk: Buffer, _enc, done) {
          log.info("transform");
          done(null, chunk.toString().toUpperCase());
        },
      });
      await pipeline(req, upper, res);
      log.info("piped");
    });
    const url = await servers.listen(
      instrumentServer(server, { telemetry: t.telemetry, metrics: false }),
    );
    const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const bodies = await Promise.all(ids.map((id) => post(`${url}/?id=${id}`, id, 3)));
    expect(bodies).toEqual(ids.map((id) => `${id}:0;${id}:1;${id}:2;`.toUpperCase()));
    await until(() => t.logs().filter((r) => r.msg === "piped").length === 10);
    for (const r of t.logs().filter((x) => x.msg === "transform" || x.msg === "piped")) {
      expect(r.fields.request).toMatch(/^p\d+$/);
    }
  });

  it("sees listeners added after instrumentation, and only instruments a server once", async () => {
    const t = servers.setup();
    const server = instrumentServer(createServer(), { telemetry: t.telemetry, metrics: false });
    server.on("request", (_req, res) => {
      log.info("late listener");
      res.end("late");
    });
    const url = await servers.listen(server);
    const res = await send(`${url}/`);
    expect(res.body).toBe("late");
    expect(res.headers.traceparent).toMatch(/^00-/);
    const line = t.logs().find((r) => r.msg === "late listener");
    expect(line?.traceId).toBe(String(res.headers.traceparent).split("-")[1]);
    expect(() => instrumentServer(server)).toThrow(NodeError);
  });

  it("reports a client that goes away as 499 and an aborted span", async () => {
    const t = servers.setup();
    const server = createServer((_req, res) => {
      res.write("partial");
    });
    const url = await servers.listen(
      instrumentServer(server, { telemetry: t.telemetry, metrics: t.registry }),
    );
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${url}/hang`, { agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields.status).toBe(499);
    const [span] = await t.spans();
    expect(span?.attributes["error.type"]).toBe("aborted");
    expect(t.registry.collect()).toContain("http_server_requests_in_flight 0");
  });

  it("adds no listeners to the response, and ends the request whatever the app removes", async () => {
    const t = servers.setup();
    const counts: number[][] = [];
    const handler = (_req: unknown, res: import("node:http").ServerResponse) => {
      counts.push([res.listenerCount("finish"), res.listenerCount("close")]);
      // An app (or a framework) that clears the response's listeners must not
      // lose the request's access line, span or metrics.
      res.removeAllListeners("finish");
      res.removeAllListeners("close");
      res.end("ok");
    };
    const plainUrl = await servers.listen(createServer(handler));
    const url = await servers.listen(
      instrumentServer(createServer(handler), { telemetry: t.telemetry, metrics: t.registry }),
    );
    expect((await send(`${plainUrl}/plain`)).body).toBe("ok");
    const res = await send(`${url}/instrumented`);
    expect(res.body).toBe("ok");
    expect(counts[1]).toEqual(counts[0]);
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields).toMatchObject({ status: 200, path: "/instrumented" });
    expect(t.registry.collect()).toContain("http_server_requests_in_flight 0");
  });

  it("gives an unsampled request the same access line, header and metrics as a sampled one", async () => {
    const seen: Record<string, unknown>[] = [];
    for (const samplingRatio of [1, 0]) {
      const t = servers.setup({ samplingRatio });
      const server = createServer((_req, res) => {
        res.setHeader("content-length", 2);
        res.end("ok");
      });
      const url = await servers.listen(
        instrumentServer(server, { telemetry: t.telemetry, metrics: t.registry }),
      );
      const res = await send(`${url}/orders/42`, { headers: { "user-agent": "probe" } });
      const [, traceId, , flags] = String(res.headers.traceparent).split("-");
      // Sampled or not, the span ends with the response: the line is written,
      // correlated with the trace the response header names.
      await until(() => t.accessLogs().length === 1);
      const line = t.accessLogs()[0];
      expect(line?.traceId).toBe(traceId);
      expect((Number.parseInt(String(flags), 16) & 1) === 1).toBe(samplingRatio === 1);
      const { duration_ms, ...fields } = line?.fields ?? {};
      expect(typeof duration_ms).toBe("number");
      seen.push(fields);
      expect(t.registry.collect()).toContain(
        'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 1',
      );
      expect(t.registry.collect()).toContain("http_server_requests_in_flight 0");
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]).toMatchObject({ method: "GET", route: "/orders/:id", status: 200, bytes: 2 });
  });

  it("records a request listener that throws, then throws it on from the event", async () => {
    const t = servers.setup();
    const server = instrumentServer(
      createServer(() => {
        log.info("handling");
        throw new Error("listener failed");
      }),
      { telemetry: t.telemetry, metrics: t.registry },
    );
    // node:http turns a throw in a `request` listener into an uncaught
    // exception, so the event is emitted here as the server would.
    const req = new IncomingMessage(new Socket());
    req.method = "GET";
    req.url = "/orders";
    req.headers = { host: "shop.test" };
    const res = new ServerResponse(req);
    expect(() => server.emit("request", req, res)).toThrow("listener failed");
    res.emit("close");
    const logs = t.logs();
    const handling = logs.find((l) => l.msg === "handling");
    const failed = logs.filter((l) => l.msg === "request handler failed");
    expect(failed).toHaveLength(1);
    expect(handling?.traceId).toBeDefined();
    expect(failed[0]?.traceId).toBe(handling?.traceId);
    // The span ends once the promise of its lifetime settles, a turn later.
    await sleep(0);
    const [span] = await t.spans();
    expect(span?.status.code).toBe("STATUS_CODE_ERROR");
    expect(span?.attributes["error.type"]).toBe("Error");
    expect(span?.events.map((e) => e.name)).toContain("exception");
  });

  it("rejects invalid options", () => {
    expect(() => instrumentServer({} as Server)).toThrow(NodeError);
    expect(() => instrumentServer(createServer(), { routes: ["x"] })).toThrow(NodeError);
    expect(() => instrumentServer(createServer(), { metrics: 3 as never })).toThrow(NodeError);
  });
});

describe("instrumentServer: when the request's telemetry cannot start", () => {
  /** An app that answers every request itself, counting its calls and logging one line. */
  async function listen(t: TestSetup, telemetry: Telemetry) {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      log.info("handling");
      res.end("ok");
    });
    const url = await servers.listen(
      instrumentServer(server, { telemetry, metrics: t.registry, routes: ["/orders/:id"] }),
    );
    return { server, url, seen };
  }

  async function sendThree(url: string) {
    const paths = ["/orders/1", "/orders/2", "/orders/3"];
    const responses = await Promise.all(paths.map((p) => send(`${url}${p}`)));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.body).toBe("ok");
    }
    return { paths, responses };
  }

  /**
   * `t.telemetry` with a root context that cannot be forked: the request's context (where
   * its SERVER span starts) is never made, so the request telemetry is never entered.
   */
  function unforkable(t: TestSetup): Telemetry {
    const broken: TelemetryContext = Object.create(t.telemetry.context, {
      forkLog: {
        value: () => {
          throw new Error("cannot fork the request's context");
        },
      },
    });
    return Object.create(t.telemetry, { context: { value: broken } });
  }

  it("runs the app's request listeners once when the request's context cannot be made", async () => {
    const t = servers.setup();
    const { server, seen } = await listen(t, unforkable(t));
    // Emitted here as the server would, to see what the event returns and that it does
    // not throw.
    const req = new IncomingMessage(new Socket());
    req.method = "GET";
    req.url = "/orders/9";
    req.headers = { host: "shop.test" };
    const res = new ServerResponse(req);
    expect(server.emit("request", req, res)).toBe(true);
    expect(seen).toEqual(["/orders/9"]);
    res.emit("close");
  });

  it("answers untraced in the base context when the request's context cannot be made", async () => {
    const t = servers.setup();
    const { url, seen } = await listen(t, unforkable(t));
    const { paths, responses } = await sendThree(url);
    // Each listener ran once, in the base context: no span, so no traceparent.
    expect(seen.sort()).toEqual(paths);
    for (const r of responses) expect(r.headers.traceparent).toBeUndefined();
    const handling = t.logs().filter((r) => r.msg === "handling");
    expect(handling).toHaveLength(3);
    for (const r of handling) expect(r.traceId).toBeUndefined();
    // The access log and the RED metrics still count every request, once.
    await until(() => t.accessLogs().length === 3);
    const byPath = (a: { path?: unknown }, b: { path?: unknown }) =>
      String(a.path).localeCompare(String(b.path));
    expect(
      t
        .accessLogs()
        .map((r) => r.fields)
        .sort(byPath),
    ).toEqual(
      paths.map((path) =>
        expect.objectContaining({ method: "GET", route: "/orders/:id", path, status: 200 }),
      ),
    );
    const text = t.registry.collect();
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 3',
    );
    expect(text).toContain("http_server_requests_in_flight 0");
    expect(await t.spans()).toEqual([]);
  });

  it("answers untraced, in the request's forked log, when the tracer's span start throws", async () => {
    // Core catches a throwing startSpan and runs the work with a stand-in span and no
    // context entered; the listeners then run in the request's own forked log, untraced.
    const t = servers.setup();
    const tracer = t.telemetry.tracing?.tracer;
    if (tracer === undefined) throw new Error("the setup has no tracer");
    tracer.startSpan = () => {
      throw new Error("span start failed");
    };
    const { url, seen } = await listen(t, t.telemetry);
    const { paths } = await sendThree(url);
    expect(seen.sort()).toEqual(paths);
    expect(t.logs().filter((r) => r.msg === "handling")).toHaveLength(3);
    await until(() => t.accessLogs().length === 3);
    expect(t.registry.collect()).toContain(
      'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 3',
    );
    expect(await t.spans()).toEqual([]);
  });
});
