import { runtimeProcess } from "./globals";

/**
 * Loads a Node built-in module without a static `node:` import, through
 * `process.getBuiltinModule` (Node >= 20.16, workerd with `nodejs_compat`, Deno, Bun).
 * Keeps the caller loadable in browsers, where it returns `undefined`.
 *
 * @param id - the module id, e.g. `"node:async_hooks"`.
 * @returns the module, or `undefined` where the runtime does not provide it.
 * @example
 * ```ts
 * const fs = builtinModule<{ readFileSync(path: string): Uint8Array }>("node:fs");
 * ```
 */
export function builtinModule<T>(id: string): T | undefined {
  try {
    const mod = runtimeProcess()?.getBuiltinModule?.(id);
    return mod === undefined || mod === null ? undefined : (mod as T);
  } catch {
    // A runtime that refuses the module simply does not have it.
    return undefined;
  }
}

/** The part of Node's `AsyncLocalStorage` a context manager needs. */
export interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R;
  disable?(): void;
}

/** A constructor of {@link AsyncLocalStorageLike} stores. */
export type AsyncLocalStorageConstructor = new <T>() => AsyncLocalStorageLike<T>;

/**
 * Finds the runtime's `AsyncLocalStorage`: a global one (some edge runtimes), else
 * `node:async_hooks` through {@link builtinModule}. This is how Node is wired: no preload
 * and no side-effect import is needed, in native ESM and CommonJS alike.
 *
 * @returns the class, or `undefined` (browsers).
 */
export function detectAsyncLocalStorage(): AsyncLocalStorageConstructor | undefined {
  const global = (globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage;
  if (typeof global === "function") return global as AsyncLocalStorageConstructor;
  const mod = builtinModule<{ AsyncLocalStorage?: unknown }>("node:async_hooks");
  return typeof mod?.AsyncLocalStorage === "function"
    ? (mod.AsyncLocalStorage as AsyncLocalStorageConstructor)
    : undefined;
}
