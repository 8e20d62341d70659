import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttpsServer,
  type ServerOptions as TlsServerOptions,
} from "node:https";
import type { AddressInfo } from "node:net";
import type { TelemetryContext } from "@groundwork/core";
import { NodeError } from "../errors";
import { incomingRequest, type LazyRequest } from "./lazy-request";
import {
  checkFunction,
  checkInteger,
  checkObject,
  checkOptionsObject,
  checkString,
  checkStringArray,
  checkTelemetryOptions,
} from "./options";
import { LazyAbort } from "./request";
import { writeResponse } from "./response";
import { compileRoutes, type RouteMatcher } from "./route";
import {
  CLIENT_CLOSED_STATUS,
  createHttpInstrumentation,
  type HttpInstrumentation,
  type HttpTelemetryOptions,
  type IncomingRequestInfo,
  RequestTelemetry,
} from "./telemetry";

/** What a handler gets besides the request. */
export interface ServeContext {
  /**
   * The peer's IP address as the socket reports it. Key rate limits on this,
   * not on `X-Forwarded-For`, unless a trusted proxy sets that header.
   */
  readonly remoteAddress: string | undefined;
  /** The request's telemetry context (its forked log and SERVER span); already active in the handler. */
  readonly telemetry: TelemetryContext;
  /** The route template the request matched (`routes` or `route` option), if any. */
  readonly route: string | undefined;
  /**
   * Keeps work going after the response: `close()` waits for it (within its
   * timeout). A rejection is logged, never thrown.
   *
   * @param promise - the work
   */
  waitUntil(promise: Promise<unknown>): void;
}

/** A fetch-style handler, as `serve()` runs it. */
export type FetchHandler = (request: Request, ctx: ServeContext) => Response | Promise<Response>;

/** Options of {@link serve}. */
export interface ServeOptions extends HttpTelemetryOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Address to listen on. Default `"127.0.0.1"` (use `"0.0.0.0"` or `"::"` to accept remote clients). */
  host?: string;
  /** TLS options (`key`, `cert`, …): when given, the server is `node:https`. Default none (plain HTTP). */
  tls?: TlsServerOptions;
  /** Options passed to `http.createServer` (`keepAliveTimeout`, `requestTimeout`, …). Default none. */
  serverOptions?: ServerOptions;
  /**
   * Largest request body, in bytes. A larger `Content-Length` is answered 413
   * without calling the handler; a chunked body that grows past it fails the
   * body stream with `NodeError` `ERR_BODY_TOO_LARGE`, answered 413 unless the
   * handler answers itself. Default 1 MiB.
   */
  maxBodyBytes?: number;
  /**
   * Route patterns for grouping (`"/orders/:id"`, `"/static/*"`): the first
   * match becomes `http.route`, the span name and the `route` label;
   * unmatched paths are `route="unmatched"`. Default none (see `maxRoutes`).
   */
  routes?: readonly string[];
  /**
   * The route of a request, when the app's router knows it better than a
   * pattern table; `undefined` means unmatched. Takes precedence over `routes`.
   */
  route?: (request: Request) => string | undefined;
  /** How long `close()` lets requests in flight finish before dropping them, in ms. Default 10 000. */
  shutdownTimeoutMs?: number;
}

/** Options of {@link RunningServer.close}. */
export interface CloseOptions {
  /** How long requests in flight may take to finish, in ms. Default: the server's `shutdownTimeoutMs`. */
  timeoutMs?: number;
}

/** A listening server started by {@link serve}. */
export interface RunningServer {
  /** `http://127.0.0.1:43117` (brackets around IPv6 addresses). */
  readonly url: string;
  /** The address bound. */
  readonly host: string;
  /** The port bound. */
  readonly port: number;
  /** The underlying `node:http` (or `node:https`) server. */
  readonly server: Server;
  /**
   * Stops accepting connections, lets requests in flight and `waitUntil`
   * work finish for up to `timeoutMs`, then drops what is left (their
   * `request.signal` aborts). Idempotent; never rejects.
   */
  close(options?: CloseOptions): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function checkServeOptions(options: ServeOptions): void {
  checkOptionsObject(options);
  checkTelemetryOptions(options);
  checkInteger("port", options.port, 0, 65_535);
  checkString("host", options.host);
  checkObject("tls", options.tls);
  checkObject("serverOptions", options.serverOptions);
  checkInteger("maxBodyBytes", options.maxBodyBytes, 0, Number.MAX_SAFE_INTEGER);
  checkStringArray("routes", options.routes);
  checkFunction("route", options.route);
  checkInteger("shutdownTimeoutMs", options.shutdownTimeoutMs, 0, 2_147_483_647);
}

const isResponse = (value: unknown): value is Response =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as Response).status === "number" &&
  typeof (value as Response).headers?.forEach === "function";

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/** The path of a request target, without its query. */
export const pathOf = (target: string | undefined): string => {
  if (target === undefined) return "/";
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
};

/** The port of a `Host` header value, if it has a valid one. */
function hostPort(host: string, colon: number): number | undefined {
  const port = Number(host.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
}

/**
 * Describes an incoming message for the request telemetry.
 *
 * @param req - the message
 * @param scheme - `http` or `https`
 * @param route - the route, when known now
 * @returns the description
 */
export function describeRequest(
  req: IncomingMessage,
  scheme: string,
  route: string | undefined,
): IncomingRequestInfo {
  const headers = req.headers;
  const host = headers.host;
  let serverAddress: string | undefined;
  let serverPort: number | undefined;
  if (host !== undefined && host !== "") {
    // The name, then the port after the last colon outside brackets (IPv6).
    const colon = host.indexOf(
      ":",
      host.charCodeAt(0) === 91 /* "[" */ ? host.indexOf("]") + 1 : 0,
    );
    if (colon === -1) {
      serverAddress = host;
    } else {
      serverAddress = host.slice(0, colon);
      serverPort = hostPort(host, colon);
    }
  }
  const socket = req.socket;
  return {
    method: req.method ?? "GET",
    path: pathOf(req.url),
    scheme,
    serverAddress: serverAddress ?? socket.localAddress,
    serverPort: serverPort ?? socket.localPort,
    clientAddress: socket.remoteAddress,
    userAgent: headers["user-agent"],
    protocolVersion: req.httpVersion,
    headers,
    route,
  };
}

const plain = (status: number, text: string): Response =>
  new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

interface ServerState {
  readonly handler: FetchHandler;
  readonly instr: HttpInstrumentation;
  readonly scheme: string;
  readonly maxBodyBytes: number;
  readonly matchRoute: RouteMatcher | undefined;
  readonly routeOf: ((request: Request) => string | undefined) | undefined;
  readonly inFlight: Set<LazyAbort>;
  readonly tasks: Set<Promise<unknown>>;
  closing: boolean;
  onIdle: (() => void) | undefined;
}

function settleOne(state: ServerState, abort: LazyAbort): void {
  state.inFlight.delete(abort);
  if (state.inFlight.size === 0 && state.tasks.size === 0) state.onIdle?.();
}

function routeFor(state: ServerState, request: Request, path: string): string | undefined {
  if (state.routeOf !== undefined) {
    try {
      return state.routeOf(request) ?? undefined;
    } catch {
      return undefined;
    }
  }
  return state.matchRoute?.(path);
}

async function respond(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  rt: RequestTelemetry,
  incoming: LazyRequest | undefined,
  ctx: ServeContext,
  abort: LazyAbort,
  overflow: { value: boolean },
  sent: { bytes: number },
): Promise<void> {
  let response: Response;
  if (incoming === undefined) {
    response = plain(413, "payload too large\n");
  } else {
    try {
      // A handler that answers at once is not awaited: no promise, no turn
      // of the microtask queue between its Response and the write.
      let result: unknown = state.handler(incoming.request, ctx);
      if (isThenable(result)) result = await result;
      if (!isResponse(result)) {
        throw new TypeError(`the handler returned ${typeof result}, not a Response`);
      }
      response = result;
    } catch (error) {
      if (overflow.value || (error instanceof NodeError && error.code === "ERR_BODY_TOO_LARGE")) {
        response = plain(413, "payload too large\n");
      } else if (abort.aborted) {
        return;
      } else if (incoming.failure !== undefined) {
        // The request was made when the handler first used it, and the fetch
        // API refused its URL: the client's fault, as if refused up front.
        refuse(rt, res, incoming.failure);
        return;
      } else {
        rt.fail(error);
        response = plain(500, "internal server error\n");
      }
    }
  }
  if (res.destroyed) {
    response.body?.cancel().catch(() => {});
    return;
  }
  const traceparent = rt.traceparent();
  try {
    const streaming = writeResponse(
      res,
      response,
      {
        head: req.method === "HEAD",
        extraHeaders: traceparent === undefined ? undefined : { traceparent },
        closeConnection: overflow.value || state.closing,
      },
      sent,
    );
    if (streaming !== undefined) await streaming;
  } catch (error) {
    // The response body failed (or was not readable): the failure is the
    // handler's. Before the head went out it still becomes a 500; after, the
    // connection was dropped.
    rt.fail(error);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("internal server error\n");
    }
  }
}

/** Answers 400 to a request the fetch API refuses (its URL, method or headers). */
function refuse(rt: RequestTelemetry, res: ServerResponse, error: unknown): void {
  rt.context.run(() => rt.log.warn("request refused", { error: String(error) }));
  if (res.headersSent || res.destroyed) return;
  res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end("bad request\n");
}

function listener(state: ServerState) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const abort = new LazyAbort();
    state.inFlight.add(abort);
    const overflow = { value: false };
    const length = Number(req.headers["content-length"]);
    const tooLarge = length > state.maxBodyBytes;
    if (tooLarge) overflow.value = true;
    let incoming: LazyRequest | undefined;
    let buildError: unknown;
    if (!tooLarge) {
      try {
        incoming = incomingRequest(req, {
          scheme: state.scheme,
          maxBodyBytes: state.maxBodyBytes,
          abort,
          onOverflow: () => {
            overflow.value = true;
          },
        });
      } catch (error) {
        buildError = error;
      }
    }
    const path = pathOf(req.url);
    const route = incoming === undefined ? undefined : routeFor(state, incoming.request, path);
    // A route function that made the request may have found it refused.
    buildError ??= incoming?.failure;
    // The rest runs where the request's context is made (its SERVER span's
    // entry), which spares entering that context a second time. It must not
    // throw into the tracer that runs it: a failure is the request's,
    // answered by dropping the connection.
    const inside = (rt: RequestTelemetry): void => {
      try {
        const sent = { bytes: 0 };
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          const aborted = !res.writableFinished;
          if (aborted) abort.abort(new NodeError("ERR_CLIENT_ABORTED", "the client went away"));
          rt.end({ status: aborted ? CLIENT_CLOSED_STATUS : res.statusCode, bytes: sent.bytes });
          // Whatever of the body the handler did not read is drained, so the
          // connection can serve the next request; an oversized one is dropped.
          if (overflow.value) req.socket.destroySoon();
          else if (!req.complete) req.resume();
          settleOne(state, abort);
        };
        res.once("close", finish);
        if (buildError !== undefined) {
          // Only a request Node itself accepted gets here; the URL or headers
          // could still be refused by the fetch API.
          refuse(rt, res, buildError);
          return;
        }
        const ctx: ServeContext = {
          remoteAddress: req.socket.remoteAddress,
          telemetry: rt.context,
          route,
          waitUntil: (promise) => track(state, rt, promise),
        };
        respond(state, req, res, rt, incoming, ctx, abort, overflow, sent).catch(
          (error: unknown) => {
            rt.fail(error);
            res.destroy();
          },
        );
      } catch (error) {
        rt.fail(error);
        res.destroy();
      }
    };
    const rt = new RequestTelemetry(state.instr, describeRequest(req, state.scheme, route), inside);
    // No span could be started: the request runs in its forked log, untraced.
    if (!rt.entered) rt.context.run(() => inside(rt));
  };
}

function track(state: ServerState, rt: RequestTelemetry, promise: Promise<unknown>): void {
  let tracked: Promise<unknown>;
  try {
    tracked = Promise.resolve(promise).then(
      () => {},
      (error: unknown) => {
        try {
          rt.log.error(
            "waitUntil task failed",
            error instanceof Error ? error : { error: String(error) },
          );
        } catch {}
      },
    );
  } catch {
    return;
  }
  state.tasks.add(tracked);
  void tracked.then(() => {
    state.tasks.delete(tracked);
    if (state.inFlight.size === 0 && state.tasks.size === 0) state.onIdle?.();
  });
}

/**
 * Serves a fetch-style handler on `node:http` (or `node:https` with `tls`).
 * Request bodies stream into the `Request` (size-limited), response bodies
 * stream out with backpressure, and a client that goes away aborts
 * `request.signal` and cancels the response body. Every request runs in a
 * forked log and a SERVER span continued from its `traceparent` (returned on
 * the response), with HTTP semantic-convention attributes, one access log
 * line and the RED metrics. A handler that throws is logged once and
 * answered 500; the process keeps serving.
 *
 * @param handler - `(request, ctx) => Response | Promise<Response>`
 * @param options - see {@link ServeOptions}; defaults: port 0 on `127.0.0.1`,
 *   1 MiB bodies, the current telemetry, the default metrics registry, access log on
 * @returns the listening server: `url`, `host`, `port`, `server`, `close()`
 * @throws NodeError `ERR_INVALID_OPTION` (synchronously) for invalid options;
 *   the promise rejects with `ERR_LISTEN` when the address cannot be used
 * @example
 * ```ts
 * import { createTelemetry } from "@groundwork/core";
 * import { serve } from "@groundwork/node";
 *
 * const telemetry = createTelemetry({ serviceName: "api" });
 * const server = await serve(
 *   (request, ctx) => Response.json({ path: new URL(request.url).pathname, from: ctx.remoteAddress }),
 *   { port: 8080, telemetry, routes: ["/orders/:id"] },
 * );
 * console.log(`listening on ${server.url}`);
 * await server.close();
 * ```
 */
export function serve(handler: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  if (typeof handler !== "function") {
    throw new NodeError("ERR_INVALID_OPTION", "handler: expected a function");
  }
  checkServeOptions(options);
  const scheme = options.tls === undefined ? "http" : "https";
  const state: ServerState = {
    handler,
    instr: createHttpInstrumentation(
      options,
      options.routes !== undefined || options.route !== undefined,
    ),
    scheme,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    matchRoute: options.routes === undefined ? undefined : compileRoutes(options.routes),
    routeOf: options.route,
    inFlight: new Set(),
    tasks: new Set(),
    closing: false,
    onIdle: undefined,
  };
  const onRequest = listener(state);
  const serverOptions = options.serverOptions ?? {};
  const server: Server =
    options.tls === undefined
      ? createHttpServer(serverOptions, onRequest)
      : (createHttpsServer({ ...serverOptions, ...options.tls }, onRequest) as unknown as Server);
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  return new Promise<RunningServer>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        new NodeError("ERR_LISTEN", `cannot listen on ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address() as AddressInfo;
      const shown = address.address.includes(":") ? `[${address.address}]` : address.address;
      resolve(
        running(server, state, `${scheme}://${shown}:${address.port}`, address, shutdownTimeoutMs),
      );
    });
  });
}

function running(
  server: Server,
  state: ServerState,
  url: string,
  address: AddressInfo,
  shutdownTimeoutMs: number,
): RunningServer {
  let closing: Promise<void> | undefined;
  const close = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      state.closing = true;
      let closed = false;
      server.close(() => {
        closed = true;
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const abort of state.inFlight) {
          abort.abort(new NodeError("ERR_CLIENT_ABORTED", "the server is shutting down"));
        }
        server.closeAllConnections();
        // Work started with waitUntil is not waited for past the bound.
        if (!closed) resolve();
      }, timeoutMs);
      timer.unref();
      state.onIdle = () => server.closeIdleConnections();
      if (state.inFlight.size === 0) server.closeIdleConnections();
    }).then(() => waitForTasks(state, timeoutMs));
  return {
    url,
    host: address.address,
    port: address.port,
    server,
    close(options = {}) {
      closing ??= close(options.timeoutMs ?? shutdownTimeoutMs).catch(() => {});
      return closing;
    },
  };
}

function waitForTasks(state: ServerState, timeoutMs: number): Promise<void> {
  if (state.tasks.size === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    void Promise.allSettled([...state.tasks]).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
