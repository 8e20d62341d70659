import {
  createTelemetry,
  log,
  startTrace,
  type Telemetry,
  w3cTraceparent,
  withForkedLog,
} from "@groundwork/core";
import {
  counter,
  createRegistry,
  createTelemetryCollector,
  defineMetrics,
  handleMetricsRequest,
  histogram,
  type Registry,
} from "@groundwork/metrics";
import { createLimiter } from "@groundwork/ratelimit";
import { rateLimit } from "@groundwork/ratelimit/http";
import { registryOptionsFromSettings, telemetryOptionsFromSettings } from "@groundwork/settings";
import { nodeSinkFor } from "@groundwork/settings/node";
import { type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from "@opentelemetry/semantic-conventions";
import { z } from "zod";
import { BodyTooLargeError, createFetchServer, type FetchServer, listen } from "./http-bridge";
import type { ServiceSettings } from "./settings";

/** Identity of the running service and knobs that are not settings. */
export interface ServiceOptions {
  /** `service.name` of logs and spans, and the metric name prefix. */
  serviceName: string;
  /** `service.version`, also the `version` label of `<service>_build_info`. */
  serviceVersion: string;
  /** Orders kept in memory; the oldest are forgotten beyond it. Default 10 000. */
  maxOrders?: number;
}

/** A running service. */
export interface RunningService {
  /** Base URL of the orders API, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Base URL of the telemetry server (`/health`, `/metrics`); undefined when disabled. */
  readonly telemetryUrl: string | undefined;
  /** The service's telemetry instance (logs, traces). */
  readonly telemetry: Telemetry;
  /** The metrics registry served on `/metrics`. */
  readonly registry: Registry;
  /**
   * Stops both servers (requests in flight may finish for up to 5 s), then
   * flushes and shuts telemetry down. Idempotent; never rejects.
   */
  close(): Promise<void>;
}

/** An order as stored and returned. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  created_at: string;
}

const NewOrder = z.strictObject({
  item: z.string().trim().min(1).max(200),
  quantity: z.number().int().min(1).max(1000),
});

// Request bodies are small JSON documents; anything larger is refused.
const MAX_BODY_BYTES = 64 * 1024;

// Methods outside this set are reported as `_OTHER`, as the HTTP semantic
// conventions ask, so a client cannot grow the metric label set at will.
const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
]);

type RouteName = "/orders" | "/orders/:id" | "unmatched";

const json = (status: number, body: unknown, headers?: Record<string, string>): Response =>
  Response.json(body, { status, ...(headers === undefined ? {} : { headers }) });

const problem = (status: number, error: string, detail?: unknown): Response =>
  json(status, detail === undefined ? { error } : { error, detail });

const notAllowed = (allow: string): Response =>
  json(405, { error: "method not allowed" }, { allow });

function matchRoute(path: string): { route: RouteName; id?: string } {
  if (path === "/orders") return { route: "/orders" };
  const match = /^\/orders\/([^/]+)$/.exec(path);
  if (match?.[1] === undefined) return { route: "unmatched" };
  try {
    return { route: "/orders/:id", id: decodeURIComponent(match[1]) };
  } catch {
    // A malformed escape cannot name an order; the route still matched.
    return { route: "/orders/:id", id: "" };
  }
}

/**
 * Starts the orders API and its telemetry server: every request runs in a
 * forked log carrying `request_id` and in a SERVER span continuing the
 * caller's trace; it is logged once with its status and duration, counted
 * in the RED metrics, and answered with the span's `traceparent`.
 *
 * @param settings - validated settings (see `Settings` in `./settings`)
 * @param options - `serviceName`, `serviceVersion`, `maxOrders` (default 10 000)
 * @returns the URLs, the telemetry instance, the registry and `close()`
 * @throws ListenError when an address cannot be listened on (nothing is left running)
 * @example
 * ```ts
 * const service = await startService(Settings.defaults(), { serviceName: "orders", serviceVersion: "1.0.0" });
 * console.log(service.url, service.telemetryUrl);
 * await service.close();
 * ```
 */
export async function startService(
  settings: ServiceSettings,
  options: ServiceOptions,
): Promise<RunningService> {
  const { serviceName, serviceVersion } = options;
  const telemetry = createTelemetry(
    telemetryOptionsFromSettings(settings.telemetry, {
      serviceName,
      serviceVersion,
      sinkFor: nodeSinkFor,
    }),
  );

  const registry = createRegistry({
    ...registryOptionsFromSettings(settings.telemetry.metrics, { serviceName }),
    build: { version: serviceVersion },
  });
  registry.registerCollector(createTelemetryCollector(telemetry));
  const http = defineMetrics(
    "http",
    {
      requests: counter({
        help: "HTTP requests served, by method, route and status code.",
        labels: ["method", "route", "status"],
      }),
      latency: histogram({
        help: "Time to produce a response, by route.",
        unit: "seconds",
        labels: ["route"],
      }),
    },
    { registry },
  );

  const maxOrders = options.maxOrders ?? 10_000;
  const orders = new Map<string, Order>();

  async function createOrder(request: Request): Promise<Response> {
    if (!(request.headers.get("content-type") ?? "").toLowerCase().includes("application/json")) {
      return problem(415, "expected content-type application/json");
    }
    let text: string;
    try {
      text = await request.text();
    } catch (error) {
      if (error instanceof BodyTooLargeError) return problem(413, "body too large");
      log.warn("request body unreadable", { error: String(error) });
      return problem(400, "request body unreadable");
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      log.warn("malformed JSON body", { error: String(error) });
      return problem(400, "malformed JSON body");
    }
    const parsed = NewOrder.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      log.warn("invalid order", { issues });
      return problem(400, "invalid order", issues);
    }
    const order: Order = {
      id: crypto.randomUUID(),
      ...parsed.data,
      created_at: new Date().toISOString(),
    };
    if (orders.size >= maxOrders) {
      const oldest = orders.keys().next().value;
      if (oldest !== undefined) orders.delete(oldest);
    }
    orders.set(order.id, order);
    log.info("order created", { order_id: order.id, item: order.item, quantity: order.quantity });
    return json(201, order, { location: `/orders/${order.id}` });
  }

  const limitedCreateOrder = rateLimit(
    {
      limiter: createLimiter({ rate: settings.rate_limit.rate, burst: settings.rate_limit.burst }),
      key: { header: "x-client-id" },
      policyName: "orders",
      onLimited: (result, request) => {
        // One call site, limited itself: a client hammering the API must not
        // turn into a flood of warnings.
        log.warn(
          "order creation rate limited",
          { client_id: request.headers.get("x-client-id") ?? "unknown" },
          { rateLimit: "1/s" },
        );
        return problem(429, "too many requests", {
          retry_after_ms: Math.ceil(result.retryAfterMs),
        });
      },
    },
    createOrder,
  );

  function route(
    method: string,
    path: string,
    request: Request,
  ): { route: RouteName; serve: () => Promise<Response> | Response } {
    const matched = matchRoute(path);
    if (matched.route === "/orders") {
      if (method === "POST")
        return { route: matched.route, serve: () => limitedCreateOrder(request) };
      return { route: matched.route, serve: () => notAllowed("POST") };
    }
    if (matched.route === "/orders/:id") {
      const id = matched.id ?? "";
      if (method === "GET" || method === "HEAD") {
        return {
          route: matched.route,
          serve: () => {
            const order = orders.get(id);
            return order === undefined ? problem(404, "no such order") : json(200, order);
          },
        };
      }
      return { route: matched.route, serve: () => notAllowed("GET, HEAD") };
    }
    return { route: "unmatched", serve: () => problem(404, "not found") };
  }

  async function serveInSpan(
    span: Span,
    request: Request,
    method: string,
    routeName: RouteName,
    serve: () => Promise<Response> | Response,
    requestId: string,
  ): Promise<Response> {
    const started = performance.now();
    let response: Response;
    try {
      response = await serve();
    } catch (error) {
      log.error("request failed", error instanceof Error ? error : { error: String(error) });
      response = problem(500, "internal error");
    }
    const status = response.status;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) {
      // Server spans mark only 5xx as errors; 4xx are the client's.
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    const seconds = (performance.now() - started) / 1000;
    log.info("request served", {
      method,
      path: new URL(request.url).pathname,
      route: routeName,
      status,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
    });
    http.requests({ method, route: routeName, status }).inc();
    http.latency({ route: routeName }).observe(seconds);
    const traceparent = w3cTraceparent();
    if (traceparent !== undefined) response.headers.set("traceparent", traceparent);
    response.headers.set("x-request-id", requestId);
    return response;
  }

  function handle(request: Request, remoteAddress: string | undefined): Promise<Response> {
    const url = new URL(request.url);
    const method = KNOWN_METHODS.has(request.method) ? request.method : "_OTHER";
    const { route: routeName, serve } = route(method, url.pathname, request);
    const requestId = crypto.randomUUID();
    const attributes: Record<string, string | number> = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_PATH]: url.pathname,
      [ATTR_URL_SCHEME]: url.protocol.replace(":", ""),
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: Number(url.port || 80),
    };
    if (method === "_OTHER") attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = request.method;
    if (routeName !== "unmatched") attributes[ATTR_HTTP_ROUTE] = routeName;
    if (remoteAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = remoteAddress;
    const userAgent = request.headers.get("user-agent");
    if (userAgent !== null) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
    const spanName = routeName === "unmatched" ? `HTTP ${method}` : `HTTP ${method} ${routeName}`;
    return telemetry.run(() =>
      withForkedLog({ request_id: requestId }, () =>
        startTrace(
          spanName,
          { stitchWith: request.headers, kind: SpanKind.SERVER, attributes },
          (span) => serveInSpan(span, request, method, routeName, serve, requestId),
        ),
      ),
    );
  }

  function handleTelemetry(request: Request): Response {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return json(200, { status: "ok" });
    if (pathname === "/metrics") {
      // The metrics package types its answer structurally so that it compiles
      // without DOM typings; at run time it is the global Response.
      return handleMetricsRequest(registry, request);
    }
    return problem(404, "not found");
  }

  const reportBridgeError = (error: unknown) =>
    telemetry.log.error(
      "HTTP bridge error",
      error instanceof Error ? error : { error: String(error) },
    );

  let api: FetchServer | undefined;
  let telemetryServer: FetchServer | undefined;
  try {
    api = await listen(
      createFetchServer(handle, { maxBodyBytes: MAX_BODY_BYTES, onError: reportBridgeError }),
      settings.http.addr,
    );
    if (settings.telemetry.server.enabled) {
      telemetryServer = await listen(
        createFetchServer(handleTelemetry, { maxBodyBytes: 0, onError: reportBridgeError }),
        settings.telemetry.server.addr,
      );
    }
  } catch (error) {
    await api?.close(0);
    await telemetry.shutdown();
    throw error;
  }

  const apiServer = api;
  let closing: Promise<void> | undefined;
  return {
    url: apiServer.url,
    telemetryUrl: telemetryServer?.url,
    telemetry,
    registry,
    close() {
      closing ??= (async () => {
        await Promise.all([apiServer.close(), telemetryServer?.close()]);
        await telemetry.shutdown();
      })();
      return closing;
    },
  };
}
