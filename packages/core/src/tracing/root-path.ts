import type { Attributes, Context, Link, SpanKind, Tracer } from "@opentelemetry/api";
import {
  type IdGenerator,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
} from "@opentelemetry/sdk-trace-base";
import { randomSpanId, randomTraceId } from "./ids";

/**
 * How `runSpanIn` starts a span that opens a trace in this process (a new root, or the
 * local root under a remote parent) on a `createTracing` runtime: it draws the trace id
 * itself and asks the runtime's sampler before the SDK is involved, so that a span the
 * sampler drops costs two ids and a context, not the SDK's span machinery.
 */
export interface RootPath {
  /**
   * Asks the runtime's sampler about a span of trace `traceId` started in `ctx`. Unless it
   * drops the span, the decision is kept for the SDK's start that must follow at once: its
   * id generator returns `traceId` for the new trace and its sampler gets the same result
   * back without being asked again, so a rate limit is charged once per trace.
   *
   * @param ctx - the context the span starts in, without a local parent span.
   * @param traceId - the trace id the span will have.
   * @param name - the span name, as the sampler is given it.
   * @returns `true` when the sampler drops the span (records nothing).
   */
  drops(ctx: Context, traceId: string, name: string): boolean;
  /** Forgets a kept decision the SDK did not take (a start that threw before sampling). */
  forget(): void;
}

/**
 * The root paths of the tracers `createTracing` built. Module state on purpose, as
 * `samplerFollowsLocalParent`: the runtime registers its tracer once and `runSpanIn` only
 * asks; the map is weak, so a dropped tracer (and its provider) is still collected.
 */
export const rootPaths: WeakMap<Tracer, RootPath> = new WeakMap();

/** What {@link createRootPath} returns: the SDK's sampler and id generator, and the path. */
export interface RootPathParts {
  /** `inner`, answering a kept decision first; give it to the tracer provider. */
  readonly sampler: Sampler;
  /** Random W3C ids; a kept decision's trace id first. Give it to the tracer provider. */
  readonly idGenerator: IdGenerator;
  /** Register it for the provider's tracer in {@link rootPaths}. */
  readonly path: RootPath;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = [];
const INTERNAL = 0 as SpanKind;

/**
 * Wraps a runtime's sampler so that decisions taken before the SDK starts a span are kept
 * for it, and builds the matching id generator.
 *
 * @param inner - the runtime's own sampler (Groundwork's, or the disabled one).
 * @returns the sampler and id generator for the provider, and the path for `runSpanIn`.
 */
export function createRootPath(inner: Sampler): RootPathParts {
  // A decision taken before the SDK starts a span, and its trace id. Set and taken within
  // one synchronous start, so no other span can see it.
  let keptTraceId: string | undefined;
  let kept: SamplingResult | undefined;
  const sampler: Sampler = {
    shouldSample(ctx, traceId, name, kind, attributes, links) {
      if (kept !== undefined && keptTraceId === traceId) {
        const result = kept;
        kept = keptTraceId = undefined;
        return result;
      }
      return inner.shouldSample(ctx, traceId, name, kind, attributes, links);
    },
    toString: () => inner.toString(),
  };
  const idGenerator: IdGenerator = {
    generateTraceId: () => keptTraceId ?? randomTraceId(),
    generateSpanId: randomSpanId,
  };
  const path: RootPath = {
    drops(ctx, traceId, name) {
      const result = inner.shouldSample(ctx, traceId, name, INTERNAL, NO_ATTRIBUTES, NO_LINKS);
      if (result.decision === SamplingDecision.NOT_RECORD) {
        kept = keptTraceId = undefined;
        return true;
      }
      kept = result;
      keptTraceId = traceId;
      return false;
    },
    forget() {
      kept = keptTraceId = undefined;
    },
  };
  return { sampler, idGenerator, path };
}
