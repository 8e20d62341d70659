import { context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { RPC_CALL } from "./classes";
import { fetchIsTraced } from "./internal/bindings";
import { recordError, traceparentOf } from "./internal/core";
import { tracedFetch } from "./internal/fetch-patch";
import { invocationOf } from "./internal/invocation";
import type { FetchFn } from "./types";

type Callable = (...args: unknown[]) => unknown;

const PASS_THROUGH = new Set(["then", "dup", "connect"]);

/**
 * Wraps a Durable Object stub or a service binding whose class was instrumented
 * ({@link instrumentDO}, or {@link instrument} on a `WorkerEntrypoint`), so that calls made
 * inside an invocation continue its trace: each RPC method call gets a CLIENT span and the
 * callee's span becomes its child; `fetch` through the stub sends `traceparent`. Outside an
 * invocation calls go straight through.
 *
 * RPC is not otherwise able to carry trace context, so the wrapped stub calls one extra
 * method the instrumented class defines; use it only with instrumented classes.
 *
 * @param stub - a Durable Object stub (`env.COUNTER.get(id)`) or a service binding.
 * @returns the same stub, traced.
 * @example
 * ```ts
 * const counter = traceStub(env.COUNTER.get(env.COUNTER.idFromName("global")));
 * const value = await counter.increment(1); // a client span; the object's span is its child
 * ```
 */
export function traceStub<S extends object>(stub: S): S {
  return new Proxy(stub, {
    get(target, property) {
      // An RPC stub answers any property with a remote method, `call` and `bind` included:
      // methods are always invoked as `target[name](…)`.
      const methods = target as unknown as Record<string, Callable>;
      if (typeof property !== "string" || PASS_THROUGH.has(property)) {
        const value: unknown = Reflect.get(target, property);
        return typeof value === "function"
          ? (...args: unknown[]) => Reflect.apply(value as Callable, target, args)
          : value;
      }
      if (property === "fetch" && fetchIsTraced(target)) {
        return (input: Request | string | URL, init?: RequestInit) => methods.fetch?.(input, init);
      }
      if (property === "fetch") {
        const base: FetchFn = (input, init) => methods.fetch?.(input, init) as Promise<Response>;
        return (input: Request | string | URL, init?: RequestInit) =>
          tracedFetch(base, context.active(), input, init);
      }
      return (...args: unknown[]) => {
        const parent = context.active();
        const invocation = invocationOf(parent);
        if (invocation === undefined) return methods[property]?.(...args);
        const span = invocation.state.tracing.tracer.startSpan(
          property,
          {
            kind: SpanKind.CLIENT,
            attributes: { "rpc.system": "cloudflare_rpc", "rpc.method": property },
          },
          parent,
        );
        let result: unknown;
        try {
          result = methods[RPC_CALL]?.(traceparentOf(span.spanContext()), property, args);
        } catch (error) {
          recordError(span, error);
          span.end();
          throw error;
        }
        Promise.resolve(result).then(
          () => span.end(),
          (error: unknown) => {
            recordError(span, error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
          },
        );
        return result;
      };
    },
  });
}
