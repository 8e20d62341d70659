import { type Attributes, type Context, context, diag, type Tracer } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  type Sampler,
  SamplingDecision,
  type SpanLimits,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ensureContextManager } from "../context/manager";
import { CoreError } from "../errors";
import { createServiceResource } from "../otlp/resource";
import { VERSION } from "../version";
import { randomFlagProcessor } from "./random-flag";
import { createRootPath, rootPaths } from "./root-path";
import { createSampler, type TraceRateLimit } from "./sampler";
import { samplerFollowsLocalParent, setTracer, TRACER_NAME } from "./tracer";

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** `service.name` resource attribute. Required. */
  serviceName: string;
  /** `service.version` resource attribute. Default: not set. */
  serviceVersion?: string;
  /**
   * When `false`, every span is a non-recording span: trace context still
   * propagates (so downstream services stay in the same trace) but nothing is
   * recorded or exported. Default `true`.
   */
  enabled?: boolean;
  /** Probability in [0, 1] that a new trace is sampled. Default 1. */
  samplingRatio?: number;
  /** Optional cap on new sampled traces per second. Default: no cap. */
  rateLimit?: TraceRateLimit;
  /** Processors finished spans are handed to (e.g. a batch processor with an OTLP exporter). Default none. */
  spanProcessors?: SpanProcessor[];
  /** Extra resource attributes (e.g. `deployment.environment.name`); they cannot override `service.*` or `telemetry.sdk.*`. */
  resourceAttributes?: Attributes;
  /** Limits on attributes, events and links per span. Default: the SDK's (128 each). */
  spanLimits?: SpanLimits;
  /** Upper bound for `forceFlush()` in milliseconds. Default 30 000. */
  flushTimeoutMs?: number;
}

/** What {@link createTracing} returns. */
export interface TracingRuntime {
  /** The OpenTelemetry tracer provider, configured with Groundwork's sampler. */
  readonly provider: BasicTracerProvider;
  /** The tracer Groundwork's span functions should use; put it in a context with {@link setTracer}. */
  readonly tracer: Tracer;
  /** The resource every span of this runtime carries. */
  readonly resource: Resource;
  /**
   * `ctx` (default: the active context) with this runtime's tracer in it.
   *
   * @param ctx - the context to extend (default `context.active()`).
   * @returns the extended context.
   */
  context(ctx?: Context): Context;
  /** Exports everything finished so far. Resolves when done or timed out; never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the processors. Idempotent; never rejects. */
  shutdown(): Promise<void>;
}

const DISABLED: Sampler = {
  shouldSample: () => ({ decision: SamplingDecision.NOT_RECORD }),
  toString: () => "GroundworkSampler{disabled}",
};

/**
 * Creates the tracing runtime: an OpenTelemetry `BasicTracerProvider` with
 * Groundwork's sampler (parent-based ratio, per-branch overrides, forks
 * sampled with their parent, optional rate limit) and the given processors.
 * Exporters are not built here; pass them in as span processors.
 *
 * @param options - service identity, sampling and processors; see {@link TracingOptions}.
 * @returns the provider, the tracer and lifecycle functions.
 * @throws {CoreError} `ERR_INVALID_OPTION` for an empty service name or invalid sampling options.
 * @example
 * ```ts
 * const tracing = createTracing({ serviceName: "shop", samplingRatio: 0.25 });
 * await context.with(tracing.context(), () =>
 *   startTrace("checkout", async () => {
 *     await span("charge card", { attributes: { "payment.provider": "acme" } }, () => charge());
 *   }),
 * );
 * await tracing.shutdown();
 * ```
 */
export function createTracing(options: TracingOptions): TracingRuntime {
  if (typeof options.serviceName !== "string" || options.serviceName === "") {
    throw new CoreError("ERR_INVALID_OPTION", "serviceName must be a non-empty string");
  }
  const flushTimeoutMs = options.flushTimeoutMs ?? 30_000;
  if (!(flushTimeoutMs > 0)) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `flushTimeoutMs must be positive, got ${flushTimeoutMs}`,
    );
  }
  const ownSampler =
    options.enabled === false
      ? DISABLED
      : createSampler({
          ...(options.samplingRatio !== undefined ? { samplingRatio: options.samplingRatio } : {}),
          ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
        });
  // Contexts built from this runtime are entered with context.with(), which
  // only carries them across awaits once a real context manager is registered.
  ensureContextManager();
  const resource = createServiceResource({
    serviceName: options.serviceName,
    ...(options.serviceVersion !== undefined ? { serviceVersion: options.serviceVersion } : {}),
    ...(options.resourceAttributes !== undefined ? { attributes: options.resourceAttributes } : {}),
  });
  const { sampler, idGenerator, path } = createRootPath(ownSampler);
  const provider = new BasicTracerProvider({
    resource,
    sampler,
    idGenerator,
    spanProcessors: [randomFlagProcessor, ...(options.spanProcessors ?? [])],
    forceFlushTimeoutMillis: flushTimeoutMs,
    ...(options.spanLimits !== undefined ? { spanLimits: options.spanLimits } : {}),
  });
  const tracer = provider.getTracer(TRACER_NAME, VERSION);
  samplerFollowsLocalParent.add(tracer);
  rootPaths.set(tracer, path);

  let shutdownPromise: Promise<void> | undefined;
  return {
    provider,
    tracer,
    resource,
    context: (ctx = context.active()) => setTracer(ctx, tracer),
    async forceFlush() {
      try {
        await provider.forceFlush();
      } catch (err) {
        diag.error("groundwork: span flush failed", err);
      }
    },
    shutdown() {
      shutdownPromise ??= provider.shutdown().catch((err: unknown) => {
        diag.error("groundwork: tracer provider shutdown failed", err);
      });
      return shutdownPromise;
    },
  };
}
