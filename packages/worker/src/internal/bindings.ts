import { type Attributes, context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import { recordError, traceparentOf } from "./core";
import { tracedFetch } from "./fetch-patch";
import { invocationOf } from "./invocation";
import { stampSendArgs } from "./queue";

type Callable = (...args: unknown[]) => unknown;
type Target = Record<string | symbol, unknown>;

/** A kind of binding: how to recognise it and which of its methods become spans. */
interface BindingKind {
  readonly system: string;
  readonly methods: ReadonlySet<string>;
  matches(value: Target): boolean;
}

const has = (value: Target, ...names: string[]) =>
  names.every((name) => typeof value[name] === "function");

// Recognised by shape: the runtime's binding classes are not reachable from a library.
const KINDS: readonly BindingKind[] = [
  {
    system: "cloudflare_kv",
    methods: new Set(["get", "getWithMetadata", "put", "delete", "list"]),
    matches: (v) => has(v, "get", "getWithMetadata", "put", "delete", "list"),
  },
  {
    system: "cloudflare_r2",
    methods: new Set(["head", "get", "put", "delete", "list", "createMultipartUpload"]),
    matches: (v) => has(v, "head", "get", "put", "delete", "list", "createMultipartUpload"),
  },
  {
    system: "cloudflare_d1",
    methods: new Set(["batch", "exec"]),
    matches: (v) => has(v, "prepare", "batch", "exec"),
  },
  {
    system: "cloudflare_queues",
    methods: new Set(["send", "sendBatch"]),
    matches: (v) => has(v, "send", "sendBatch"),
  },
];

function isObject(value: unknown): value is Target {
  return value !== null && typeof value === "object";
}

/** A Worker-to-Worker service binding, or a Durable Object stub: something with `fetch`. */
function isFetcher(value: Target): boolean {
  return has(value, "fetch", "connect");
}

function spanAttributes(system: string, name: string, method: string): Attributes {
  return system === "cloudflare_queues"
    ? {
        "messaging.system": system,
        "messaging.operation.type": "send",
        "messaging.destination.name": name,
      }
    : { "db.system.name": system, "db.namespace": name, "db.operation.name": method };
}

/**
 * Runs one binding call in a CLIENT (PRODUCER for a queue) span of the current invocation,
 * if there is one; `call` gets the `traceparent` of that span when the call should carry it.
 */
function traced(
  kind: BindingKind,
  name: string,
  method: string,
  call: (traceparent: string | undefined) => unknown,
): unknown {
  const parent = context.active();
  const invocation = invocationOf(parent);
  if (invocation === undefined || isTracingSuppressed(parent)) return call(undefined);
  const span = invocation.state.tracing.tracer.startSpan(
    `${name} ${method}`,
    {
      kind: kind.system === "cloudflare_queues" ? SpanKind.PRODUCER : SpanKind.CLIENT,
      attributes: spanAttributes(kind.system, name, method),
    },
    parent,
  );
  const propagate =
    kind.system === "cloudflare_queues" && invocation.state.options.propagateToQueues;
  let result: unknown;
  try {
    result = call(propagate ? traceparentOf(span.spanContext()) : undefined);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  if (isObject(result) && typeof result.then === "function") {
    (result as unknown as Promise<unknown>).then(
      () => span.end(),
      (error: unknown) => {
        recordError(span, error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    );
  } else {
    span.end();
  }
  return result;
}

/** Service bindings whose `fetch` this module already traces. */
const tracedFetchers = new WeakSet<object>();

/** Whether `value` is a binding whose `fetch` is traced already (so a wrapper must not trace it again). */
export function fetchIsTraced(value: object): boolean {
  return tracedFetchers.has(value);
}

function wrapBinding(name: string, value: Target): Target | undefined {
  // First: an RPC stub answers every property name with a method, so it would pass for any
  // kind of binding below.
  if (isFetcher(value)) {
    const proxy = new Proxy(value, {
      get(target, property) {
        if (property === "fetch") {
          return (input: Request | string | URL, init?: RequestInit) =>
            tracedFetch(
              (i, n) => (target.fetch as Callable)(i, n) as Promise<Response>,
              context.active(),
              input,
              init,
            );
        }
        // Every other member of a service binding may be an RPC method: looked up and called
        // on the binding itself, untouched.
        const member = Reflect.get(target, property);
        return typeof member === "function"
          ? (...args: unknown[]) => (target[property] as Callable)(...args)
          : member;
      },
    });
    tracedFetchers.add(proxy);
    return proxy;
  }
  const kind = KINDS.find((k) => k.matches(value));
  if (kind !== undefined) {
    return new Proxy(value, {
      get(target, property) {
        const member = Reflect.get(target, property);
        if (typeof member !== "function") return member;
        if (typeof property === "string" && kind.methods.has(property)) {
          return (...args: unknown[]) =>
            traced(kind, name, property, (traceparent) =>
              Reflect.apply(
                member as Callable,
                target,
                traceparent === undefined ? args : stampSendArgs(property, args, traceparent),
              ),
            );
        }
        return (...args: unknown[]) => Reflect.apply(member as Callable, target, args);
      },
    });
  }
  return undefined;
}

const wrapped = new WeakMap<object, Target>();

/**
 * The Worker's `env` with its KV, R2, D1 and queue bindings making a span per call, and
 * its service bindings sending `traceparent` on `fetch`. Other values come through as they
 * are. Bindings are wrapped once per isolate.
 */
export function instrumentEnv<Env>(env: Env): Env {
  if (!isObject(env)) return env;
  const cached = wrapped.get(env);
  if (cached !== undefined) return cached as Env;
  const bindings = new Map<string | symbol, unknown>();
  const proxy = new Proxy(env, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof property !== "string" || !isObject(value)) return value;
      if (!bindings.has(property)) bindings.set(property, wrapBinding(property, value) ?? value);
      return bindings.get(property);
    },
  });
  wrapped.set(env, proxy);
  return proxy as Env;
}
