import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { log as defaultLog, type Logger } from "@groundwork/core";
import { defaultRegistry, handleMetricsRequest, type Registry } from "@groundwork/metrics";
import { parseSocketAddr, type ServerSettings } from "@groundwork/settings";
import { NodeError } from "../errors";
import { toRequest, writeResponse } from "./bridge";
import { createProfiler } from "./profiles";
import type { TraceBuffer } from "./trace-buffer";

/**
 * A readiness check of `/health`. It passes when it returns or resolves to
 * anything but `false`; it fails when it returns `false`, throws, rejects, or
 * takes longer than the server's `healthCheckTimeoutMs` (then `signal` aborts).
 *
 * @example
 * ```ts
 * const database: HealthCheck = async (signal) => {
 *   await pool.query("select 1", { signal }); // a rejection fails the check with its message
 * };
 * server.addHealthCheck("database", database);
 * ```
 */
export type HealthCheck = (signal: AbortSignal) => unknown;

/**
 * A custom route of the telemetry server: a fetch-style handler.
 *
 * @example
 * ```ts
 * const config: TelemetryRoute = () => Response.json({ sampling_ratio: 0.1 });
 * server.addRoute("/debug/config", config);
 * ```
 */
export type TelemetryRoute = (request: Request) => Response | Promise<Response>;

/** Options of {@link serveTelemetry}. */
export interface TelemetryServerOptions {
  /** `host:port` to listen on; port 0 picks a free port. Default `"127.0.0.1:0"`. */
  addr?: string;
  /** Registry rendered on `/metrics`. Default `defaultRegistry` of `@groundwork/metrics`. */
  registry?: Registry;
  /** Source of `/debug/traces` (see `createTraceBuffer`). Default none: the route answers 404. */
  traces?: TraceBuffer;
  /** Serves `/debug/traces`, `/debug/heap` and `/debug/cpu`. Default `true`. */
  debugRoutes?: boolean;
  /** Readiness checks of `/health`, by name. Default none. */
  healthChecks?: Readonly<Record<string, HealthCheck>>;
  /** How long each health check may take. Default 2000 ms. */
  healthCheckTimeoutMs?: number;
  /** Longest CPU profile `/debug/cpu?seconds=N` may ask for. Default 60. */
  maxProfileSeconds?: number;
  /** Extra routes by exact path, e.g. `{ "/debug/config": () => Response.json(config) }`. Default none. */
  routes?: Readonly<Record<string, TelemetryRoute>>;
  /** Where the server logs its address and handler failures. Default the process-wide `log`. */
  log?: Logger;
  /**
   * Whether the listening server keeps the process alive. Default `true`;
   * `runService` sets `false`, so a service whose work is done can exit.
   */
  keepAlive?: boolean;
}

/** A running telemetry server. */
export interface TelemetryServer {
  /** `http://host:port` it listens on (the real port when 0 was asked). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * Adds a readiness check to `/health`.
   * @returns a function that removes it
   */
  addHealthCheck(name: string, check: HealthCheck): () => void;
  /**
   * Adds a route by exact path (replacing one of the same path).
   * @returns a function that removes it
   */
  addRoute(path: string, route: TelemetryRoute): () => void;
  /** Stops listening; a request still running after one second is cut off. Idempotent; never rejects. */
  close(): Promise<void>;
}

/** The result of one health check in the `/health` body. */
interface CheckResult {
  status: "ok" | "fail";
  duration_ms: number;
  error?: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(`${JSON.stringify(body, null, 2)}\n`, {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new NodeError("ERR_INVALID_OPTION", `${name} must be a positive number, got ${value}`);
  }
  return value;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  try {
    const outcome = await Promise.race([
      Promise.resolve().then(() => check(controller.signal)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
    if (outcome === false) return { status: "fail", duration_ms: elapsed(), error: "check failed" };
    return { status: "ok", duration_ms: elapsed() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: "fail", duration_ms: elapsed(), error: message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Maps `telemetry.server` settings onto {@link serveTelemetry} options (the
 * one place where those keys meet option names).
 *
 * @param settings - the validated `telemetry.server` settings
 * @returns `addr` and `debugRoutes`
 * @example
 * ```ts
 * const server = await serveTelemetry({
 *   ...telemetryServerOptionsFromSettings(settings.telemetry.server),
 *   registry,
 * });
 * ```
 */
export function telemetryServerOptionsFromSettings(
  settings: ServerSettings,
): Pick<TelemetryServerOptions, "addr" | "debugRoutes"> {
  return { addr: settings.addr, debugRoutes: settings.debug_routes };
}

/**
 * Starts the telemetry server: a small HTTP server, apart from the service's
 * own, for operators and scrapers. Routes:
 *
 * - `GET /health` → `{ status: "ok" | "fail", checks: { <name>: { status, duration_ms, error? } } }`,
 *   200 when every check passes, 503 otherwise; checks run in parallel, each bounded in time;
 * - `GET /metrics` → the registry in Prometheus text or OpenMetrics, as the `Accept` header asks;
 * - `GET /debug/traces?limit=N` → recent sampled traces as JSON trees (with `traces`);
 * - `GET /debug/heap` → a V8 heap snapshot, streamed (open it in Chrome DevTools › Memory);
 * - `GET /debug/cpu?seconds=N` → a CPU profile of N seconds (default 10, at most
 *   `maxProfileSeconds`) taken through `node:inspector` (DevTools › Performance);
 * - custom routes by exact path.
 *
 * Heap snapshots and CPU profiles run one at a time (409 while one runs) and
 * cost nothing until asked for. The address is logged once listening.
 *
 * @param options - see {@link TelemetryServerOptions}; every field has a default
 * @returns the running server
 * @throws NodeError `ERR_INVALID_OPTION` for a bad address or bound, `ERR_LISTEN` when the address cannot be listened on
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 * import { serveTelemetry } from "@groundwork/node";
 *
 * const registry = createRegistry({ service: "api" });
 * const server = await serveTelemetry({
 *   addr: "127.0.0.1:9090",
 *   registry,
 *   healthChecks: { database: () => db.ping() },
 * });
 * // curl http://127.0.0.1:9090/health
 * await server.close();
 * ```
 */
export async function serveTelemetry(
  options: TelemetryServerOptions = {},
): Promise<TelemetryServer> {
  const addrText = options.addr ?? "127.0.0.1:0";
  const addr = parseSocketAddr(addrText);
  if (addr === undefined) {
    throw new NodeError(
      "ERR_INVALID_OPTION",
      `addr must be host:port, got ${JSON.stringify(addrText)}`,
    );
  }
  const checkTimeoutMs = positive("healthCheckTimeoutMs", options.healthCheckTimeoutMs, 2000);
  const maxProfileSeconds = positive("maxProfileSeconds", options.maxProfileSeconds, 60);
  const registry = options.registry ?? defaultRegistry;
  const debugRoutes = options.debugRoutes ?? true;
  const log = options.log ?? defaultLog;
  const checks = new Map(Object.entries(options.healthChecks ?? {}));
  const routes = new Map(Object.entries(options.routes ?? {}));
  const profiler = createProfiler();
  // Set once listening, before any request can arrive.
  let origin = "http://localhost";

  async function health(): Promise<Response> {
    const names = [...checks.keys()];
    const results = await Promise.all(
      [...checks.values()].map((check) => runCheck(check, checkTimeoutMs)),
    );
    const report: Record<string, CheckResult> = {};
    names.forEach((name, i) => {
      report[name] = results[i] as CheckResult;
    });
    const ok = results.every((r) => r.status === "ok");
    return json(ok ? 200 : 503, { status: ok ? "ok" : "fail", checks: report });
  }

  async function cpu(url: URL, signal: AbortSignal): Promise<Response> {
    const raw = url.searchParams.get("seconds");
    const seconds = raw === null ? 10 : Number(raw);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > maxProfileSeconds) {
      return json(400, { error: `seconds must be a number in (0, ${maxProfileSeconds}]` });
    }
    let profile: string;
    try {
      profile = await profiler.cpuProfile(seconds, signal);
    } catch (error) {
      // The permission model refuses inspector sessions.
      if ((error as { code?: unknown }).code !== "ERR_ACCESS_DENIED") throw error;
      return json(503, { error: "the inspector is not available under the permission model" });
    }
    if (profile === "busy") return json(409, { error: "a profile is already being taken" });
    return new Response(profile, {
      headers: {
        "content-type": "application/json",
        "content-disposition": `attachment; filename="cpu-${process.pid}-${Date.now()}.cpuprofile"`,
      },
    });
  }

  function heap(): Response {
    const snapshot = profiler.heapSnapshot();
    if (snapshot === "busy") return json(409, { error: "a profile is already being taken" });
    return new Response(Readable.toWeb(snapshot) as ReadableStream<Uint8Array>, {
      headers: {
        "content-type": "application/json",
        "content-disposition": `attachment; filename="heap-${process.pid}-${Date.now()}.heapsnapshot"`,
      },
    });
  }

  async function route(request: Request, signal: AbortSignal): Promise<Response> {
    const url = new URL(request.url);
    const custom = routes.get(url.pathname);
    if (custom !== undefined) return custom(request);
    const path = url.pathname;
    const isDebug = path.startsWith("/debug/");
    if (path === "/metrics") return handleMetricsRequest(registry, request);
    if (path !== "/health" && !(debugRoutes && isDebug)) return json(404, { error: "not found" });
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(405, { error: "method not allowed" }, { allow: "GET, HEAD" });
    }
    if (path === "/health") return health();
    if (path === "/debug/traces" && options.traces !== undefined) {
      const limit = Number(url.searchParams.get("limit") ?? Number.NaN);
      const traces = options.traces.traces(
        Number.isInteger(limit) && limit >= 0 ? limit : undefined,
      );
      return json(200, { traces });
    }
    if (path === "/debug/heap") return heap();
    if (path === "/debug/cpu") return cpu(url, signal);
    return json(404, { error: "not found" });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    void (async () => {
      let response: Response;
      try {
        response = await route(toRequest(req, origin, controller.signal), controller.signal);
      } catch (error) {
        log.error(
          "telemetry server route failed",
          error instanceof Error
            ? { error, path: req.url }
            : { error: String(error), path: req.url },
        );
        response = json(500, { error: "internal error" });
      }
      await writeResponse(res, response);
    })();
  });
  // Scrapers keep connections open; they must not hold up shutdown for long.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(
        new NodeError(
          "ERR_LISTEN",
          `telemetry server cannot listen on ${addrText}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    server.once("error", onError);
    server.listen(addr.port, addr.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  if (options.keepAlive === false) server.unref();
  const { port } = server.address() as AddressInfo;
  const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  origin = `http://${host}:${port}`;
  log.info("telemetry server listening", {
    url: origin,
    routes: [
      "/health",
      "/metrics",
      ...(debugRoutes ? ["/debug/traces", "/debug/heap", "/debug/cpu"] : []),
      ...routes.keys(),
    ],
  });

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    port,
    addHealthCheck(name, check) {
      checks.set(name, check);
      return () => {
        if (checks.get(name) === check) checks.delete(name);
      };
    },
    addRoute(path, handler) {
      routes.set(path, handler);
      return () => {
        if (routes.get(path) === handler) routes.delete(path);
      };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), 1000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
