import { type Context, type ContextManager, context, ROOT_CONTEXT } from "@opentelemetry/api";

/**
 * The part of Node's `AsyncLocalStorage` the context manager needs. Node,
 * workerd (`nodejs_als` or `nodejs_compat`), Deno and Bun all provide it.
 */
export interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R;
  disable?(): void;
}

/** A constructor of {@link AsyncLocalStorageLike} stores, e.g. `AsyncLocalStorage` from `node:async_hooks`. */
export type AsyncLocalStorageConstructor = new <T>() => AsyncLocalStorageLike<T>;

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

interface RuntimeGlobals {
  AsyncLocalStorage?: AsyncLocalStorageConstructor;
  process?: { getBuiltinModule?: (id: string) => unknown };
}

/**
 * Finds the runtime's AsyncLocalStorage without a static `node:` import: a
 * global `AsyncLocalStorage` (edge runtimes), else `process.getBuiltinModule`
 * (Node >= 20.16, workerd with `nodejs_compat`, Deno, Bun).
 */
function detectAsyncLocalStorage(): AsyncLocalStorageConstructor | undefined {
  const g = globalThis as RuntimeGlobals;
  if (typeof g.AsyncLocalStorage === "function") return g.AsyncLocalStorage;
  try {
    const mod = g.process?.getBuiltinModule?.("node:async_hooks") as
      | { AsyncLocalStorage?: AsyncLocalStorageConstructor }
      | undefined;
    if (typeof mod?.AsyncLocalStorage === "function") return mod.AsyncLocalStorage;
  } catch {
    // A runtime that refuses the module simply has no AsyncLocalStorage.
  }
  return undefined;
}

let installed = false;
// The manager we registered, if the registration was ours: reading it directly
// skips the OpenTelemetry API's global lookup on every log call.
let registered: ContextManager | undefined;

/**
 * Makes sure a global OpenTelemetry context manager is registered. If the
 * application (or another SDK) already registered one, that one is kept and
 * Groundwork's context rides on it; otherwise an AsyncLocalStorage-backed one
 * is registered where the runtime has AsyncLocalStorage, else a stack-based one.
 * Called by everything that enters a context; cheap after the first call.
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
