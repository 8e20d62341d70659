import { type EnvSource, runtimeGlobal } from "@groundwork/platform";
import { type Attributes, SpanKind } from "@opentelemetry/api";
import { WorkerError } from "../errors";
import {
  firstPathSegment,
  firstSegmentOf,
  resolveOptions,
  type WorkerConfig,
  type WorkerOptions,
} from "../options";
import { attach } from "../telemetry";
import type { ExecutionContextLike, IncomingRequestCfLike } from "../types";
import { instrumentEnv } from "./bindings";
import { type Invocation, type InvocationStart, startInvocation } from "./invocation";
import { createIsolateState, type IsolateState } from "./isolate";
import { finishResponse } from "./response";

interface ConsoleLike {
  error(...args: unknown[]): void;
}

/**
 * Resolves the configuration once per isolate. An object is checked at construction (so
 * mistakes throw there); a function of `env` is called at the first invocation, and if it
 * fails the handler runs uninstrumented, with one console error.
 */
export function isolateResolver<Env>(
  config: WorkerConfig<Env>,
  what: string,
): (env: Env) => IsolateState | undefined {
  if (config === null || (typeof config !== "object" && typeof config !== "function")) {
    throw new WorkerError("ERR_INVALID_OPTION", `${what}: config must be an object or a function`);
  }
  let state: IsolateState | undefined;
  let failed = false;
  if (typeof config === "object") resolveOptions(config, {});
  return (env) => {
    if (state !== undefined || failed) return state;
    try {
      const options: WorkerOptions = typeof config === "function" ? config(env) : config;
      state = createIsolateState(resolveOptions(options, envSource(env)));
    } catch (error) {
      failed = true;
      runtimeGlobal<ConsoleLike>("console")?.error(
        `@groundwork/worker: ${what} runs uninstrumented:`,
        error,
      );
    }
    return state;
  };
}

/** The `env` handed to the handler: with traced bindings unless turned off. */
export function envFor<Env>(state: IsolateState | undefined, env: Env): Env {
  return state?.options.instrumentBindings === true ? instrumentEnv(env) : env;
}

function envSource(env: unknown): EnvSource {
  return env !== null && typeof env === "object" ? (env as EnvSource) : {};
}

/**
 * The handler's `ctx`, with `waitUntil` also recorded on the invocation (whose export waits
 * for that work) and the invocation attached for {@link getTelemetry}.
 */
export function invocationCtx<C extends ExecutionContextLike>(ctx: C, invocation: Invocation): C {
  const wrapped = new Proxy(ctx, {
    get(target, property) {
      if (property === "waitUntil") {
        return (promise: Promise<unknown>) => {
          invocation.waits.push(promise);
          target.waitUntil(promise);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  attach(wrapped, invocation);
  return wrapped;
}

function parseUrl(request: Request): URL | undefined {
  try {
    return new URL(request.url);
  } catch {
    return undefined;
  }
}

function requestAttributes(request: Request, resource: string, url: URL | undefined): Attributes {
  const attributes: Attributes = {
    "http.request.method": request.method,
    "http.route": resource,
    "faas.trigger": "http",
  };
  if (url !== undefined) {
    attributes["url.full"] = `${url.origin}${url.pathname}`;
    attributes["url.path"] = url.pathname;
    attributes["url.scheme"] = url.protocol.slice(0, -1);
    attributes["server.address"] = url.hostname;
  }
  const ua = request.headers.get("user-agent");
  if (ua !== null) attributes["user_agent.original"] = ua;
  const ray = request.headers.get("cf-ray");
  if (ray !== null) attributes["cloudflare.ray_id"] = ray;
  return attributes;
}

/**
 * The attributes from `request.cf`. Only read for a recording span: the runtime builds the
 * `cf` object from its serialized form on first access, which a bare Worker never pays.
 */
function cfAttributes(request: Request): Attributes {
  const attributes: Attributes = {};
  const cf = (request as { cf?: IncomingRequestCfLike }).cf;
  if (cf !== undefined && cf !== null) {
    if (typeof cf.colo === "string") attributes["cloudflare.colo"] = cf.colo;
    if (typeof cf.country === "string") attributes["cloudflare.country"] = cf.country;
    if (typeof cf.asn === "number") attributes["cloudflare.asn"] = cf.asn;
    if (typeof cf.tlsVersion === "string" && cf.tlsVersion !== "") {
      attributes["tls.protocol.name"] = "tls";
      attributes["tls.protocol.version"] = cf.tlsVersion.replace(/^TLSv/, "");
    }
    if (typeof cf.httpProtocol === "string") {
      const [name, version] = cf.httpProtocol.split("/");
      if (name !== undefined) attributes["network.protocol.name"] = name.toLowerCase();
      if (version !== undefined) attributes["network.protocol.version"] = version;
    }
  }
  return attributes;
}

function resourceOf(state: IsolateState, request: Request, url: URL | undefined): string {
  // The default, from the URL already parsed for the span's attributes.
  if (state.options.resource === firstPathSegment) {
    return url === undefined ? "/" : firstSegmentOf(url.pathname);
  }
  try {
    const resource = state.options.resource(request);
    return typeof resource === "string" ? resource : "unknown";
  } catch {
    return "unknown";
  }
}

type FetchHandler<Env> = (request: Request, env: Env, ctx: ExecutionContextLike) => unknown;

/** Runs a fetch handler inside a fresh invocation. */
export async function runFetch<Env>(
  state: IsolateState | undefined,
  handler: FetchHandler<Env>,
  thisArg: unknown,
  request: Request,
  env: Env,
  ctx: ExecutionContextLike,
): Promise<Response> {
  let invocation: Invocation | undefined;
  try {
    if (state !== undefined) {
      const url = parseUrl(request);
      const resource = resourceOf(state, request, url);
      invocation = startInvocation(state, {
        name: `${request.method} ${resource}`,
        kind: SpanKind.SERVER,
        attributes: requestAttributes(request, resource, url),
        headers: request.headers,
        resource,
        method: request.method,
      });
      if (invocation.span.isRecording()) invocation.span.setAttributes(cfAttributes(request));
    }
  } catch {
    invocation = undefined;
  }
  if (invocation === undefined) return (await handler.call(thisArg, request, env, ctx)) as Response;
  const inv = invocation;
  const wrapped = invocationCtx(ctx, inv);
  // The export runs after the response, within the invocation's waitUntil budget.
  ctx.waitUntil(inv.finish());
  let response: Response;
  try {
    const handlerEnv = envFor(inv.state, env);
    response = (await inv.run(() =>
      handler.call(thisArg, request, handlerEnv, wrapped),
    )) as Response;
  } catch (error) {
    // As without instrumentation: the exception propagates and the runtime answers it.
    inv.end("500", "exception", error);
    throw error;
  }
  try {
    return finishResponse(inv, response);
  } catch {
    inv.end(String((response as { status?: unknown })?.status ?? ""), "ok");
    return response;
  }
}

/** Runs a non-HTTP handler (scheduled, queue, alarm, RPC) inside a fresh invocation. */
export async function runEvent<R>(
  state: IsolateState | undefined,
  ctx: ExecutionContextLike | undefined,
  start: InvocationStart,
  fn: (ctx: ExecutionContextLike | undefined) => R,
  statusOf?: () => string,
): Promise<Awaited<R>> {
  let invocation: Invocation | undefined;
  try {
    if (state !== undefined) invocation = startInvocation(state, start);
  } catch {
    invocation = undefined;
  }
  if (invocation === undefined) return await fn(ctx);
  const inv = invocation;
  const wrapped = ctx === undefined ? undefined : invocationCtx(ctx, inv);
  const finished = inv.finish(ctx === undefined);
  if (ctx !== undefined) ctx.waitUntil(finished);
  try {
    const result = await inv.run(() => fn(wrapped));
    inv.end(statusOf?.() ?? "ok", "ok");
    return result;
  } catch (error) {
    inv.end("error", "exception", error);
    throw error;
  } finally {
    // Without an execution context (Durable Object alarms and RPC) the export is awaited here.
    if (ctx === undefined) await finished;
  }
}
