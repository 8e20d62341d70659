import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as TlsServer } from "node:tls";
import type { TelemetryContext } from "@groundwork/core";
import { NodeError } from "../errors";
import {
  checkFunction,
  checkOptionsObject,
  checkStringArray,
  checkTelemetryOptions,
} from "./options";
import { compileRoutes, type RouteMatcher } from "./route";
import { describeRequest, pathOf } from "./serve";
import {
  CLIENT_CLOSED_STATUS,
  createHttpInstrumentation,
  type HttpInstrumentation,
  type HttpTelemetryOptions,
  RequestTelemetry,
} from "./telemetry";

/** Options of {@link instrumentServer}. */
export interface InstrumentServerOptions extends HttpTelemetryOptions {
  /**
   * Route patterns for grouping (`"/orders/:id"`, `"/static/*"`), matched on
   * the path when the request arrives; unmatched paths are
   * `route="unmatched"`. Default none (see `maxRoutes`).
   */
  routes?: readonly string[];
  /**
   * The route of a request, read when its response has ended, so a
   * framework's router has matched it by then (Express: `req.route?.path`).
   * `undefined` falls back to `routes`, then to `unmatched`.
   */
  route?: (req: IncomingMessage, res: ServerResponse) => string | undefined;
}

const INSTRUMENTED = Symbol.for("@groundwork/node.instrumentServer");

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Makes every listener of `emitter` run inside `ctx`, whatever context the
 * event is emitted from: `data`, `end`, `finish` and `close` of a request or
 * response are emitted from the socket's context, not the request's, which
 * would otherwise lose the request's log and span in body parsers and
 * `on("finish")` callbacks. `onEnd`, if given, is called with `finish` and
 * `close` before their listeners run: the request needs no listeners of its
 * own to learn how its response ended.
 */
function bindEmitter(
  emitter: { emit: Emit },
  ctx: TelemetryContext,
  onEnd?: (event: string) => void,
): void {
  const emit = emitter.emit;
  emitter.emit = function boundEmit(
    this: { listenerCount(event: string | symbol): number },
    ...args: [string | symbol, ...unknown[]]
  ) {
    const event = args[0];
    if (onEnd !== undefined && (event === "finish" || event === "close")) {
      return ctx.run(() => {
        onEnd(event);
        return emit.apply(this, args);
      });
    }
    // No listener to run in the context: entering it would change nothing.
    if (this.listenerCount(event) === 0) return emit.apply(this, args);
    return ctx.run(() => emit.apply(this, args));
  };
}

interface InstrumentState {
  readonly instr: HttpInstrumentation;
  readonly scheme: string;
  readonly matchRoute: RouteMatcher | undefined;
  readonly routeOf: InstrumentServerOptions["route"];
}

/**
 * Sets the request up inside its context: `traceparent` on the response, the
 * request's and response's events bound to the context.
 */
function prepare(
  state: InstrumentState,
  rt: RequestTelemetry,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const traceparent = rt.traceparent();
  if (traceparent !== undefined && !res.headersSent) res.setHeader("traceparent", traceparent);
  // `finish`: the response went to the socket in full; a `close` before it:
  // the client went away.
  const end = (event: string) => {
    let route: string | undefined;
    if (state.routeOf !== undefined) {
      try {
        route = state.routeOf(req, res) ?? undefined;
      } catch {
        // A route function that fails leaves the request unmatched.
      }
    }
    const length = Number(res.getHeader("content-length"));
    rt.end({
      status: event === "finish" || res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS,
      bytes: Number.isInteger(length) && length >= 0 ? length : undefined,
      route,
    });
  };
  bindEmitter(req as unknown as { emit: Emit }, rt.context);
  bindEmitter(res as unknown as { emit: Emit }, rt.context, end);
}

/**
 * Instruments an existing `node:http` or `node:https` server (an Express,
 * Fastify or Koa app's): every request gets the same forked log, SERVER span
 * (continued from `traceparent`, returned in the response's `traceparent`),
 * HTTP semantic-convention attributes, access log line and RED metrics as
 * with `serve()`; the span ends when the response finishes or the client
 * goes away.
 *
 * How: the server's own `emit` is wrapped on this instance (nothing global is
 * patched), so the `request` event is seen before any listener of the app,
 * whenever that listener was added, and the app's listeners run inside the
 * request's context. The request's and response's `emit` are wrapped the same
 * way, so listeners of `data`, `end`, `finish` and `close` — body parsers,
 * logging middleware — also run in the request's context instead of the
 * socket's. `upgrade`, `connect` and `checkContinue` events are not
 * instrumented.
 *
 * @param server - the server, before or after `listen()`
 * @param options - see {@link InstrumentServerOptions}; defaults: the current
 *   telemetry, the default metrics registry, access log on, paths templated
 * @returns the same server, for chaining
 * @throws NodeError `ERR_INVALID_OPTION` for invalid options or a server
 *   instrumented already
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import express from "express";
 * import { instrumentServer } from "@groundwork/node";
 *
 * const app = express();
 * app.get("/orders/:id", (req, res) => res.json({ id: req.params.id }));
 * instrumentServer(createServer(app), {
 *   telemetry,
 *   route: (req) => (req as express.Request).route?.path,
 * }).listen(8080);
 * ```
 */
export function instrumentServer<S extends Server | HttpsServer>(
  server: S,
  options: InstrumentServerOptions = {},
): S {
  if (
    typeof server !== "object" ||
    server === null ||
    typeof (server as { emit?: unknown }).emit !== "function"
  ) {
    throw new NodeError("ERR_INVALID_OPTION", "server: expected a node:http or node:https server");
  }
  checkOptionsObject(options);
  checkTelemetryOptions(options);
  checkStringArray("routes", options.routes);
  checkFunction("route", options.route);
  const target = server as unknown as { emit: Emit; [INSTRUMENTED]?: true };
  if (target[INSTRUMENTED] === true) {
    throw new NodeError("ERR_INVALID_OPTION", "server: this server is instrumented already");
  }
  const state: InstrumentState = {
    instr: createHttpInstrumentation(
      options,
      options.routes !== undefined || options.route !== undefined,
    ),
    scheme: server instanceof TlsServer ? "https" : "http",
    matchRoute: options.routes === undefined ? undefined : compileRoutes(options.routes),
    routeOf: options.route,
  };
  const emit = target.emit;
  target.emit = function instrumentedEmit(
    this: unknown,
    ...args: [string | symbol, ...unknown[]]
  ): boolean {
    if (args[0] !== "request") return emit.apply(this, args);
    const req = args[1] as IncomingMessage;
    const res = args[2] as ServerResponse;
    let emitted = false;
    let thrown: { error: unknown } | undefined;
    // The app's listeners run where the request's context is made, which
    // saves entering it a second time.
    const inside = (rt: RequestTelemetry) => {
      try {
        prepare(state, rt, req, res);
      } catch {
        // The request is served uninstrumented rather than not at all.
      }
      try {
        emitted = emit.apply(this, args);
      } catch (error) {
        thrown = { error };
      }
    };
    let rt: RequestTelemetry;
    try {
      rt = new RequestTelemetry(
        state.instr,
        describeRequest(req, state.scheme, state.matchRoute?.(pathOf(req.url))),
        inside,
      );
    } catch {
      return emit.apply(this, args);
    }
    // No span could be started: the request runs in its forked log, untraced.
    if (!rt.entered) rt.context.run(() => inside(rt));
    if (thrown !== undefined) {
      // The app's own listener threw: recorded, then thrown on unchanged.
      rt.fail(thrown.error);
      throw thrown.error;
    }
    return emitted;
  };
  target[INSTRUMENTED] = true;
  return server;
}
