import { SpanKind } from "@opentelemetry/api";
import { WorkerError } from "./errors";
import type { InvocationStart } from "./internal/invocation";
import type { IsolateState } from "./internal/isolate";
import { queueInvocation } from "./internal/queue";
import { envFor, isolateResolver, runEvent, runFetch } from "./internal/run";
import type { WorkerConfig } from "./options";
import type { ExecutionContextLike, MessageBatchLike, ScheduledControllerLike } from "./types";

/** The method a traced stub calls instead of an RPC method, to hand the caller's `traceparent` on. */
export const RPC_CALL = "__groundwork_call";

/** A class whose instances handle Workers events: a Durable Object or a `WorkerEntrypoint`. */
// biome-ignore lint/suspicious/noExplicitAny: constructor arguments are the runtime's, any shape.
export type HandlerClass = abstract new (...args: any[]) => object;

type Method = (this: object, ...args: unknown[]) => unknown;

interface Instance {
  ctx: ExecutionContextLike | undefined;
  env: unknown;
}

// Handlers of the runtime that are not RPC methods, and what each becomes.
const EVENTS = new Set([
  "fetch",
  "alarm",
  "scheduled",
  "queue",
  "email",
  "tail",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
]);

/** Own and inherited method names of a class's prototype (up to `Object.prototype`). */
function methodNames(cls: HandlerClass): string[] {
  const names = new Set<string>();
  for (
    let proto: object | null = cls.prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name.startsWith("_")) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === "function") names.add(name);
    }
  }
  return [...names];
}

function waitUntilOf(ctx: unknown): ExecutionContextLike | undefined {
  return ctx !== null &&
    typeof ctx === "object" &&
    typeof (ctx as ExecutionContextLike).waitUntil === "function"
    ? (ctx as ExecutionContextLike)
    : undefined;
}

/**
 * Subclasses `cls` so that each event handler and RPC method runs as an invocation of its
 * own. `kind` names the class in span names and the `api` dimension's method.
 */
export function instrumentClass<C extends HandlerClass>(
  cls: C,
  config: WorkerConfig<never>,
  what: string,
): C {
  if (typeof cls !== "function" || cls.prototype === undefined) {
    throw new WorkerError("ERR_INVALID_HANDLER", `${what}: expected a class`);
  }
  const isolate = isolateResolver(config as WorkerConfig<unknown>, what);
  const instances = new WeakMap<object, Instance>();
  const className = cls.name || "Object";

  // @ts-expect-error: a mixin over an abstract constructor type; `cls` is concrete at run time.
  class Instrumented extends cls {
    // biome-ignore lint/suspicious/noExplicitAny: forwarded as the runtime passes them.
    constructor(...args: any[]) {
      // Durable Objects get (state, env), entrypoints (ctx, env): both keep a waitUntil. The
      // class sees `env` with traced bindings, as handlers do.
      const env: unknown = args[1];
      const state = isolate(env);
      super(args[0], envFor(state, env), ...args.slice(2));
      instances.set(this, { ctx: waitUntilOf(args[0]), env });
    }
  }
  Object.defineProperty(Instrumented, "name", { value: className });

  const proto = Instrumented.prototype as unknown as Record<string, Method>;
  const stateOf = (self: object): { state: IsolateState | undefined; instance: Instance } => {
    const instance = instances.get(self) ?? { ctx: undefined, env: undefined };
    return { state: isolate(instance.env), instance };
  };

  for (const name of methodNames(cls)) {
    const original = (cls.prototype as Record<string, Method>)[name] as Method;
    let wrapper: Method;
    if (name === "fetch") {
      wrapper = function (this: object, ...args: unknown[]) {
        const { state, instance } = stateOf(this);
        const ctx = instance.ctx ?? { waitUntil: () => {} };
        return runFetch(
          state,
          (request) => original.call(this, request, ...args.slice(1)),
          this,
          args[0] as Request,
          instance.env,
          ctx,
        );
      };
    } else {
      const event = EVENTS.has(name);
      wrapper = function (this: object, ...args: unknown[]) {
        const { state, instance } = stateOf(this);
        const start = eventStart(className, name, event, args);
        const batch = args[0] as MessageBatchLike | undefined;
        if (name === "queue" && typeof batch?.queue === "string") {
          // The producers' trace context, taken out of the bodies as instrument() does.
          const queued = queueInvocation(batch);
          if (queued.start.links !== undefined) start.links = queued.start.links;
          if (queued.start.headers !== undefined) start.headers = queued.start.headers;
          args = [queued.batch, ...args.slice(1)];
        }
        return runEvent(state, instance.ctx, start, () => original.apply(this, args));
      };
    }
    Object.defineProperty(proto, name, { value: wrapper, writable: true, configurable: true });
  }

  // A traced stub calls this instead of the method, with the caller's traceparent first.
  Object.defineProperty(proto, RPC_CALL, {
    value: function (this: object, traceparent: unknown, name: unknown, args: unknown) {
      const method = typeof name === "string" ? proto[name] : undefined;
      if (typeof method !== "function" || EVENTS.has(name as string) || name === RPC_CALL) {
        throw new TypeError(`${className} has no RPC method ${String(name)}`);
      }
      const list = Array.isArray(args) ? args : [];
      const original = (cls.prototype as Record<string, Method>)[name as string] as Method;
      const { state, instance } = stateOf(this);
      const start = eventStart(className, name as string, false, list);
      if (typeof traceparent === "string") start.headers = new Headers({ traceparent });
      return runEvent(state, instance.ctx, start, () => original.apply(this, list));
    },
    writable: true,
    configurable: true,
  });
  return Instrumented as unknown as C;
}

function eventStart(className: string, name: string, event: boolean, args: unknown[]) {
  const start: InvocationStart = {
    name: `${className}.${name}`,
    kind: event ? SpanKind.INTERNAL : SpanKind.SERVER,
    attributes: event
      ? { "code.namespace": className, "code.function": name }
      : { "rpc.system": "cloudflare_rpc", "rpc.service": className, "rpc.method": name },
    resource: className,
    method: name,
  };
  if (name === "scheduled") {
    const controller = args[0] as ScheduledControllerLike | undefined;
    if (typeof controller?.cron === "string") start.attributes["faas.cron"] = controller.cron;
  } else if (name === "queue") {
    const batch = args[0] as MessageBatchLike | undefined;
    if (typeof batch?.queue === "string") {
      start.attributes["messaging.destination.name"] = batch.queue;
      start.kind = SpanKind.CONSUMER;
    }
  }
  return start;
}

/**
 * Instruments a Durable Object class: `fetch` (a server span continuing the caller's
 * `traceparent`), `alarm`, the WebSocket hibernation handlers and every RPC method run as
 * invocations of their own, with the same logs, spans and metrics as {@link instrument}.
 * RPC calls made through {@link traceStub} continue the caller's trace. Metrics carry the
 * class name as `resource` and the method as `method`.
 *
 * Needs `nodejs_compat` or `nodejs_als` for the ambient `log` and span functions.
 *
 * @param cls - the Durable Object class (extending `DurableObject` from `cloudflare:workers`).
 * @param config - {@link WorkerOptions}, or a function of `env` returning them.
 * @returns a subclass to export under the class's binding name.
 * @throws {WorkerError} `ERR_INVALID_HANDLER` when `cls` is not a class,
 *   `ERR_INVALID_OPTION` for invalid options given as an object.
 * @example
 * ```ts
 * import { DurableObject } from "cloudflare:workers";
 * import { instrumentDO } from "@groundwork/worker";
 *
 * class Counter extends DurableObject {
 *   async increment(by: number): Promise<number> {
 *     const value = ((await this.ctx.storage.get<number>("n")) ?? 0) + by;
 *     await this.ctx.storage.put("n", value);
 *     return value;
 *   }
 * }
 * export const CounterObject = instrumentDO(Counter, { serviceName: "counter" });
 * ```
 */
export function instrumentDO<C extends HandlerClass, Env = unknown>(
  cls: C,
  config: WorkerConfig<Env>,
): C {
  return instrumentClass(cls, config as WorkerConfig<never>, "instrumentDO");
}
