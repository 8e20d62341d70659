import type { EnvSource } from "@groundwork/platform";
import { type Attributes, SpanKind } from "@opentelemetry/api";
import { WorkerError } from "./errors";
import { type Invocation, startInvocation } from "./internal/invocation";
import { createIsolateState, type IsolateState } from "./internal/isolate";
import { finishResponse } from "./internal/response";
import { resolveOptions, type WorkerConfig, type WorkerOptions } from "./options";
import { attach } from "./telemetry";
import type {
  ExecutionContextLike,
  IncomingRequestCfLike,
  MessageBatchLike,
  ScheduledControllerLike,
} from "./types";

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
      (globalThis as unknown as { console: ConsoleLike }).console.error(
        `@groundwork/worker: ${what} runs uninstrumented:`,
        error,
      );
    }
    return state;
  };
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

function requestAttributes(request: Request, resource: string): Attributes {
  const attributes: Attributes = {
    "http.request.method": request.method,
    "http.route": resource,
    "faas.trigger": "http",
  };
  try {
    const url = new URL(request.url);
    attributes["url.full"] = `${url.origin}${url.pathname}`;
    attributes["url.path"] = url.pathname;
    attributes["url.scheme"] = url.protocol.slice(0, -1);
    attributes["server.address"] = url.hostname;
  } catch {}
  const ua = request.headers.get("user-agent");
  if (ua !== null) attributes["user_agent.original"] = ua;
  const ray = request.headers.get("cf-ray");
  if (ray !== null) attributes["cloudflare.ray_id"] = ray;
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

function resourceOf(state: IsolateState, request: Request): string {
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
      const resource = resourceOf(state, request);
      invocation = startInvocation(state, {
        name: `${request.method} ${resource}`,
        kind: SpanKind.SERVER,
        attributes: requestAttributes(request, resource),
        headers: request.headers,
        resource,
        method: request.method,
      });
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
    response = (await inv.run(() => handler.call(thisArg, request, env, wrapped))) as Response;
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
  start: { name: string; kind: SpanKind; attributes: Attributes; resource: string; method: string },
  fn: (ctx: ExecutionContextLike | undefined) => R,
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
  const finished = inv.finish();
  if (ctx !== undefined) ctx.waitUntil(finished);
  try {
    const result = await inv.run(() => fn(wrapped));
    inv.end("ok", "ok");
    return result;
  } catch (error) {
    inv.end("error", "exception", error);
    throw error;
  } finally {
    // Without an execution context (Durable Object alarms and RPC) the export is awaited here.
    if (ctx === undefined) await finished;
  }
}

/**
 * A Workers module handler: the object a Worker exports by default. Only the handlers it
 * has are wrapped; others pass through untouched.
 */
export interface HandlerLike<Env = unknown> {
  fetch?: (request: Request, env: Env, ctx: ExecutionContextLike) => unknown;
  scheduled?: (controller: ScheduledControllerLike, env: Env, ctx: ExecutionContextLike) => unknown;
  queue?: (batch: MessageBatchLike, env: Env, ctx: ExecutionContextLike) => unknown;
}

/**
 * Instruments a Worker's module handler: every `fetch`, `scheduled` and `queue` invocation
 * runs in its own telemetry context (its own log, buffered and written to the console at its
 * end with a `START` meta entry; a span continuing the caller's `traceparent`), and its
 * spans and request metrics are exported over OTLP through `ctx.waitUntil`, after the
 * response. The response carries `traceparent`. A handler that throws still throws (the
 * runtime answers as it would without instrumentation); it is recorded as status 500.
 *
 * @param handler - the module handler (`{ fetch, scheduled, queue }`); returned wrapped.
 * @param config - {@link WorkerOptions}, or a function of `env` returning them (called once
 *   per isolate). `serviceName` is required.
 * @returns a handler of the same type.
 * @throws {WorkerError} `ERR_INVALID_OPTION` for invalid options given as an object,
 *   `ERR_INVALID_HANDLER` when `handler` is not an object.
 * @example
 * ```ts
 * import { log } from "@groundwork/core";
 * import { instrument } from "@groundwork/worker";
 *
 * interface Env { OTLP_ENDPOINT: string }
 *
 * export default instrument(
 *   {
 *     async fetch(request: Request, env: Env): Promise<Response> {
 *       log.info("hello", { path: new URL(request.url).pathname });
 *       return new Response("ok");
 *     },
 *   },
 *   (env: Env) => ({ serviceName: "hello", otlp: { endpoint: env.OTLP_ENDPOINT } }),
 * );
 * ```
 */
export function instrument<Env, H extends HandlerLike<Env>>(
  handler: H,
  config: WorkerConfig<Env>,
): H {
  if (handler === null || typeof handler !== "object") {
    throw new WorkerError("ERR_INVALID_HANDLER", "instrument: handler must be an object");
  }
  const isolate = isolateResolver(config, "instrument");
  const wrapped: HandlerLike<Env> = { ...handler };
  const { fetch, scheduled, queue } = handler;
  if (typeof fetch === "function") {
    wrapped.fetch = function (request, env, ctx) {
      return runFetch(isolate(env), fetch, this, request, env, ctx);
    };
  }
  if (typeof scheduled === "function") {
    wrapped.scheduled = function (controller, env, ctx) {
      const cron = controller.cron;
      return runEvent(
        isolate(env),
        ctx,
        {
          name: `scheduled ${cron}`,
          kind: SpanKind.INTERNAL,
          attributes: {
            "faas.trigger": "timer",
            "faas.cron": cron,
            "faas.time": new Date(controller.scheduledTime).toISOString(),
          },
          resource: cron === "" ? "manual" : cron,
          method: "scheduled",
        },
        (c) => scheduled.call(this, controller, env, c as ExecutionContextLike),
      );
    };
  }
  if (typeof queue === "function") {
    wrapped.queue = function (batch, env, ctx) {
      return runEvent(
        isolate(env),
        ctx,
        {
          name: `${batch.queue} process`,
          kind: SpanKind.CONSUMER,
          attributes: {
            "faas.trigger": "pubsub",
            "messaging.system": "cloudflare_queues",
            "messaging.operation.type": "process",
            "messaging.destination.name": batch.queue,
            "messaging.batch.message_count": batch.messages.length,
          },
          resource: batch.queue,
          method: "queue",
        },
        (c) => queue.call(this, batch, env, c as ExecutionContextLike),
      );
    };
  }
  return wrapped as H;
}
