import {
  type AsyncLocalStorageConstructor,
  type AsyncLocalStorageLike,
  detectAsyncLocalStorage,
} from "@groundwork/platform";
import { type Context, type ContextManager, context, ROOT_CONTEXT } from "@opentelemetry/api";

export type { AsyncLocalStorageConstructor, AsyncLocalStorageLike };

function bindFunction<T>(manager: ContextManager, ctx: Context, target: T): T {
  if (typeof target !== "function") return target;
  const fn = target as unknown as (this: unknown, ...args: unknown[]) => unknown;
  const bound = function (this: unknown, ...args: unknown[]) {
    return manager.with(ctx, () => fn.apply(this, args));
  };
  Object.defineProperty(bound, "length", { value: fn.length });
  return bound as unknown as T;
}

/**
 * Creates an OpenTelemetry `ContextManager` backed by an AsyncLocalStorage
 * class, so the active context survives `await`, timers and microtasks.
 *
 * Core takes the class as a parameter instead of importing `node:async_hooks`,
 * which keeps it loadable in browsers; runtime adapters pass it in.
 *
 * @param Storage - the AsyncLocalStorage class of the runtime.
 * @returns a context manager; call `enable()` before registering it.
 * @example
 * ```ts
 * import { AsyncLocalStorage } from "node:async_hooks";
 * import { context } from "@opentelemetry/api";
 * context.setGlobalContextManager(createAsyncLocalStorageContextManager(AsyncLocalStorage).enable());
 * ```
 */
export function createAsyncLocalStorageContextManager(
  Storage: AsyncLocalStorageConstructor,
): ContextManager {
  let storage: AsyncLocalStorageLike<Context> = new Storage<Context>();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      ctx: Context,
      fn: F,
      thisArg?: ThisParameterType<F>,
      ...args: A
    ): ReturnType<F> {
      // Already active (a listener bound to the context that emitted its
      // event, a nested run): entering it again would change nothing but
      // cost a frame, which on Node 24 copies every store of the frame.
      if (storage.getStore() === ctx) return fn.apply(thisArg as ThisParameterType<F>, args);
      const call = thisArg === undefined ? fn : fn.bind(thisArg);
      return storage.run(ctx, call as (...a: A) => ReturnType<F>, ...args);
    },
    bind: <T>(ctx: Context, target: T): T => bindFunction(manager, ctx, target),
    enable: () => manager,
    disable() {
      try {
        storage.disable?.();
      } catch {
        // workerd's AsyncLocalStorage does not implement disable(); the fresh store below is enough.
      }
      storage = new Storage<Context>();
      return manager;
    },
  };
  return manager;
}

/**
 * Creates a synchronous, stack-based context manager for runtimes without
 * AsyncLocalStorage (browsers). The context is active during the synchronous
 * part of `with()`; after the first `await` it is lost, so callbacks that must
 * keep it are wrapped with `bind()`.
 *
 * @returns a context manager.
 * @example
 * ```ts
 * context.setGlobalContextManager(createStackContextManager());
 * ```
 */
export function createStackContextManager(): ContextManager {
  let current: Context = ROOT_CONTEXT;
  const manager: ContextManager = {
    active: () => current,
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      ctx: Context,
      fn: F,
      thisArg?: ThisParameterType<F>,
      ...args: A
    ): ReturnType<F> {
      const previous = current;
      current = ctx;
      try {
        return fn.call(thisArg as ThisParameterType<F>, ...args);
      } finally {
        current = previous;
      }
    },
    bind: <T>(ctx: Context, target: T): T => bindFunction(manager, ctx, target),
    enable: () => manager,
    disable() {
      current = ROOT_CONTEXT;
      return manager;
    },
  };
  return manager;
}

let installed = false;
// The manager we registered, if the registration was ours: reading it directly
// skips the OpenTelemetry API's global lookup on every log call.
let registered: ContextManager | undefined;

/**
 * Registers a global OpenTelemetry context manager, once. If the application
 * (or another SDK) already registered one, that one is kept and Groundwork's
 * context rides on it; otherwise an AsyncLocalStorage-backed one is registered
 * where the runtime has AsyncLocalStorage (found by `@groundwork/platform`'s
 * detection: Node, workerd with `nodejs_als`/`nodejs_compat`, Deno, Bun), else
 * a stack-based one. Everything that enters a context calls it on first use,
 * so applications only call it to pass a class of their own.
 *
 * @param Storage - an AsyncLocalStorage class to use instead of detecting one
 *   (default: detected).
 * @returns `true` if Groundwork's manager was registered by this call.
 * @example
 * ```ts
 * import { AsyncLocalStorage } from "node:async_hooks";
 * installContextManager(AsyncLocalStorage);
 * ```
 */
export function installContextManager(Storage?: AsyncLocalStorageConstructor): boolean {
  if (installed) return false;
  installed = true;
  const Als = Storage ?? detectAsyncLocalStorage();
  const manager = Als ? createAsyncLocalStorageContextManager(Als) : createStackContextManager();
  const ok = context.setGlobalContextManager(manager.enable());
  if (ok) registered = manager;
  return ok;
}

/** Registers the context manager on first use; see {@link installContextManager}. */
export function ensureContextManager(): void {
  if (!installed) installContextManager();
}

/**
 * The active OpenTelemetry context, as `context.active()` returns it, but
 * without the API's global lookup when the registered manager is ours (the hot
 * path of every log call). Registers a manager on first use.
 *
 * @returns the active context.
 */
export function activeContext(): Context {
  if (!installed) installContextManager();
  const ours: ContextManager | undefined = registered;
  return ours !== undefined ? ours.active() : context.active();
}

/**
 * Runs `fn(arg)` with `ctx` active, as `context.with(ctx, fn, undefined, arg)` does, but
 * without the API's global lookup when the registered manager is ours (the hot path of
 * every span). Registers a manager on first use.
 *
 * @param ctx - the context to enter.
 * @param fn - the code to run.
 * @param arg - `fn`'s argument.
 * @returns what `fn` returns.
 */
export function withContext<A, R>(ctx: Context, fn: (arg: A) => R, arg: A): R {
  if (!installed) installContextManager();
  const ours: ContextManager | undefined = registered;
  return ours !== undefined
    ? ours.with(ctx, fn, undefined, arg)
    : context.with(ctx, fn, undefined, arg);
}
