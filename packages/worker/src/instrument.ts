import { SpanKind } from "@opentelemetry/api";
import { type HandlerClass, instrumentClass } from "./classes";
import { WorkerError } from "./errors";
import { emailInvocation, tailInvocation } from "./internal/events";
import { queueInvocation } from "./internal/queue";
import { envFor, isolateResolver, runEvent, runFetch } from "./internal/run";
import type { WorkerConfig } from "./options";
import type {
  EmailMessageLike,
  ExecutionContextLike,
  MessageBatchLike,
  ScheduledControllerLike,
  TraceItemLike,
} from "./types";

/**
 * A Workers module handler: the object a Worker exports by default. The handlers it has
 * are wrapped; other members pass through untouched.
 *
 * @example
 * ```ts
 * const handler: HandlerLike<{ API_URL: string }> = {
 *   fetch: (request, env) => fetch(env.API_URL),
 * };
 * ```
 */
export interface HandlerLike<Env = unknown> {
  fetch?: (request: Request, env: Env, ctx: ExecutionContextLike) => unknown;
  scheduled?: (controller: ScheduledControllerLike, env: Env, ctx: ExecutionContextLike) => unknown;
  queue?: (batch: MessageBatchLike, env: Env, ctx: ExecutionContextLike) => unknown;
  email?: (message: EmailMessageLike, env: Env, ctx: ExecutionContextLike) => unknown;
  tail?: (events: readonly TraceItemLike[], env: Env, ctx: ExecutionContextLike) => unknown;
}

/**
 * Instruments a Worker's module handler (or a `WorkerEntrypoint` class, whose RPC methods
 * become invocations too; see {@link instrumentDO}): every `fetch`, `scheduled`, `queue`,
 * `email` and `tail` invocation
 * runs in its own telemetry context (its own log, buffered and written to the console at its
 * end with a `START` meta entry; a span continuing the caller's `traceparent`), and its
 * spans and request metrics are exported over OTLP through `ctx.waitUntil`, after the
 * response. The response carries `traceparent`. A handler that throws still throws (the
 * runtime answers as it would without instrumentation); it is recorded as status 500.
 *
 * @param handler - the module handler (`{ fetch, scheduled, queue, email, tail }`) or a
 *   `WorkerEntrypoint` class; returned wrapped.
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
export function instrument<Env, H extends HandlerLike<Env> | HandlerClass>(
  handler: H,
  config: WorkerConfig<Env>,
): H {
  if (typeof handler === "function") {
    return instrumentClass(handler, config as WorkerConfig<never>, "instrument") as H;
  }
  if (handler === null || typeof handler !== "object") {
    throw new WorkerError(
      "ERR_INVALID_HANDLER",
      "instrument: handler must be an object or a class",
    );
  }
  const isolate = isolateResolver(config, "instrument");
  const wrapped: HandlerLike<Env> = { ...handler };
  const { fetch, scheduled, queue, email, tail } = handler as HandlerLike<Env>;
  if (typeof fetch === "function") {
    wrapped.fetch = function (request, env, ctx) {
      return runFetch(isolate(env), fetch, this, request, env, ctx);
    };
  }
  if (typeof scheduled === "function") {
    wrapped.scheduled = function (controller, env, ctx) {
      const cron = controller.cron;
      const state = isolate(env);
      return runEvent(
        state,
        ctx,
        {
          name: `scheduled ${cron}`,
          kind: SpanKind.INTERNAL,
          attributes: {
            "faas.trigger": "timer",
            "faas.cron": cron,
            ...(Number.isFinite(controller.scheduledTime)
              ? { "faas.time": new Date(controller.scheduledTime).toISOString() }
              : {}),
          },
          resource: cron === "" ? "manual" : cron,
          method: "scheduled",
        },
        (c) => scheduled.call(this, controller, envFor(state, env), c as ExecutionContextLike),
      );
    };
  }
  if (typeof queue === "function") {
    wrapped.queue = function (batch, env, ctx) {
      const state = isolate(env);
      const { start, batch: view } = queueInvocation(batch);
      return runEvent(state, ctx, start, (c) =>
        queue.call(this, view, envFor(state, env), c as ExecutionContextLike),
      );
    };
  }
  if (typeof email === "function") {
    wrapped.email = function (message, env, ctx) {
      const state = isolate(env);
      const invocation = emailInvocation(message);
      return runEvent(
        state,
        ctx,
        invocation.start,
        (c) => email.call(this, invocation.message, envFor(state, env), c as ExecutionContextLike),
        invocation.status,
      );
    };
  }
  if (typeof tail === "function") {
    wrapped.tail = function (events, env, ctx) {
      const start = tailInvocation(events);
      // Events that all come from tail invocations run uninstrumented (see tailInvocation).
      if (start === undefined) return tail.call(this, events, env, ctx);
      const state = isolate(env);
      return runEvent(state, ctx, start, (c) =>
        tail.call(this, events, envFor(state, env), c as ExecutionContextLike),
      );
    };
  }
  return wrapped as H;
}
