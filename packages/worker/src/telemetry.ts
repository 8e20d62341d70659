import type { Logger } from "@groundwork/core";
import { type TelemetryContext, telemetryContext } from "./internal/core";
import { boundFetch } from "./internal/fetch-patch";
import type { Invocation } from "./internal/invocation";
import type { FetchFn } from "./types";

/**
 * One invocation's telemetry, for code that passes it explicitly.
 *
 * @example
 * ```ts
 * async function loadUser(t: WorkerTelemetry, id: string): Promise<Response> {
 *   t.log.debug("loading user", { id });
 *   return t.fetch(`https://users.example.com/${id}`);
 * }
 * ```
 */
export interface WorkerTelemetry {
  /** The invocation's telemetry context (`run(fn)`, `forkLog`…, see `@groundwork/core`). */
  readonly context: TelemetryContext;
  /** The invocation's log: buffered, written at the end of the invocation. */
  readonly log: Logger;
  /** A `fetch` that makes a client span under the invocation and sends `traceparent`. */
  readonly fetch: FetchFn;
  /** The invocation span's trace id. */
  readonly traceId: string;
  /** The invocation span's `traceparent`, to hand on by hand (queue messages, RPC arguments). */
  readonly traceparent: string | undefined;
}

const attached = new WeakMap<object, WorkerTelemetry>();

/** Attaches an invocation to the `ctx` object its handler receives. */
export function attach(ctx: object, invocation: Invocation): void {
  const context = telemetryContext(invocation.otel);
  let fetch: FetchFn | undefined;
  attached.set(ctx, {
    context,
    get log() {
      return context.log;
    },
    get fetch() {
      fetch ??= boundFetch(invocation.otel);
      return fetch;
    },
    traceId: invocation.span.spanContext().traceId,
    get traceparent() {
      return invocation.traceparent();
    },
  });
}

/**
 * The telemetry of the invocation a handler's `ctx` belongs to: its log, its context, a
 * traced `fetch`. Inside an instrumented handler the ambient `log` and span functions of
 * `@groundwork/core` reach the same invocation when the Worker has `nodejs_compat` or
 * `nodejs_als`; without either, pass this along instead.
 *
 * @param ctx - the execution context the instrumented handler received.
 * @returns the invocation's telemetry, or `undefined` for a `ctx` that is not one.
 * @example
 * ```ts
 * import { getTelemetry, instrument } from "@groundwork/worker";
 *
 * export default instrument(
 *   {
 *     async fetch(request: Request, env: unknown, ctx: ExecutionContext): Promise<Response> {
 *       const t = getTelemetry(ctx);
 *       t?.log.info("proxying");
 *       return (t?.fetch ?? fetch)("https://example.com/");
 *     },
 *   },
 *   { serviceName: "proxy" },
 * );
 * ```
 */
export function getTelemetry(ctx: object): WorkerTelemetry | undefined {
  return attached.get(ctx);
}
