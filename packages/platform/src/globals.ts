// The runtime-neutral packages compile without DOM or Node typings (`"types": []`), so the
// web-standard and runtime globals they touch are looked up here, in one place, and typed
// structurally by the caller. Lookups happen at call time, so a runtime (or a test) may
// replace a global after this module loads.

const scope = globalThis as unknown as Record<string, unknown>;

/**
 * Reads a global of the runtime by name, typed as the caller describes it.
 *
 * @param name - the global's name, e.g. `"fetch"` or `"Response"`.
 * @returns the value, or `undefined` where the runtime has no such global.
 * @example
 * ```ts
 * const Response = runtimeGlobal<new (body: string) => unknown>("Response");
 * ```
 */
export function runtimeGlobal<T>(name: string): T | undefined {
  return scope[name] as T | undefined;
}

/** The parts of a Node-like `process` object the packages read. */
export interface ProcessLike {
  readonly env?: Record<string, string | undefined>;
  readonly versions?: Readonly<Record<string, string | undefined>>;
  readonly getBuiltinModule?: (id: string) => unknown;
}

/**
 * The runtime's `process` object where it has one (Node, Bun, Deno, workerd with
 * `nodejs_compat`).
 *
 * @returns the process object, or `undefined`.
 */
export function runtimeProcess(): ProcessLike | undefined {
  const p = scope.process;
  return typeof p === "object" && p !== null ? (p as ProcessLike) : undefined;
}
