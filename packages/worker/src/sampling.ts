import { WorkerError } from "./errors";
import { traceIdUnderRatio } from "./internal/core";

/**
 * What a tail sampler knows about a finished invocation.
 *
 * @example
 * ```ts
 * const slow = (s: InvocationSummary) => s.durationMs > 1000;
 * ```
 */
export interface InvocationSummary {
  /** The `api` dimension. */
  readonly api: string;
  /** The `resource` dimension (route, cron, queue, class). */
  readonly resource: string;
  /** The `method` dimension (HTTP method, `scheduled`, `queue`, RPC method). */
  readonly method: string;
  /** The HTTP status, or `ok` / `error`. */
  readonly status: string;
  /** `ok`, `error` (a 5xx), `exception` or `canceled` (the client went away mid-body). */
  readonly outcome: "ok" | "error" | "exception" | "canceled";
  /** Duration in milliseconds (see the guide on workerd's clocks). */
  readonly durationMs: number;
  /** The invocation's trace id. */
  readonly traceId: string;
  /** Sampled spans of the invocation that ended so far (what keeping it costs). */
  readonly spans: number;
}

/**
 * Decides after an invocation whether its spans are exported. It only sees traces the head
 * sampler (`tracing.samplingRatio`) kept. A sampler that throws keeps the trace.
 *
 * @example
 * ```ts
 * const keepCheckout: TailSampler = (s) => s.resource === "/checkout" || s.outcome !== "ok";
 * ```
 */
export type TailSampler = (summary: InvocationSummary) => boolean;

/**
 * Options of {@link createTailSampler}.
 *
 * @example
 * ```ts
 * const options: TailSamplerOptions = { slowMs: 250, ratio: 0.1 };
 * ```
 */
export interface TailSamplerOptions {
  /** Keep every invocation that failed (a 5xx or an exception). Default `true`. */
  keepErrors?: boolean;
  /** Keep every invocation that took at least this many milliseconds. Default: none. */
  slowMs?: number;
  /**
   * Share of the other invocations kept, decided from the trace id (so every service and
   * isolate seeing the trace agrees). Default 0.01.
   */
  ratio?: number;
}

/**
 * Creates the usual tail sampler: keeps failed and slow invocations and a share of the rest.
 * Pass it as `tracing.tailSampler`, with head sampling left at 1 so that it sees every trace.
 *
 * @param options - `keepErrors` (default `true`), `slowMs` (default none), `ratio` (default 0.01).
 * @returns the sampler.
 * @throws {WorkerError} `ERR_INVALID_OPTION` for a ratio outside [0, 1] or a negative `slowMs`.
 * @example
 * ```ts
 * export default instrument(handler, {
 *   serviceName: "orders",
 *   tracing: { tailSampler: createTailSampler({ slowMs: 500, ratio: 0.05 }) },
 * });
 * ```
 */
export function createTailSampler(options: TailSamplerOptions = {}): TailSampler {
  const keepErrors = options.keepErrors !== false;
  const ratio = options.ratio ?? 0.01;
  const slowMs = options.slowMs;
  if (typeof ratio !== "number" || !(ratio >= 0 && ratio <= 1)) {
    throw new WorkerError("ERR_INVALID_OPTION", `ratio must be in [0, 1], got ${String(ratio)}`);
  }
  if (slowMs !== undefined && !(typeof slowMs === "number" && slowMs >= 0)) {
    throw new WorkerError("ERR_INVALID_OPTION", `slowMs must be ≥ 0, got ${String(slowMs)}`);
  }
  return (summary) => {
    if (keepErrors && (summary.outcome === "error" || summary.outcome === "exception")) {
      return true;
    }
    if (slowMs !== undefined && summary.durationMs >= slowMs) return true;
    return traceIdUnderRatio(summary.traceId, ratio);
  };
}
