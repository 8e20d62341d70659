import { runtimeProcess } from "./globals";

/** A read-only view of environment variables: Node's `process.env`, a Worker's `env`, a test's object. */
export type EnvSource = Readonly<Record<string, unknown>>;

const EMPTY: EnvSource = Object.freeze({});

/**
 * The process environment where the runtime has one (`process.env` in Node, Bun, Deno and
 * workerd with `nodejs_compat`), else an empty source. Workers pass their `env` object
 * explicitly instead.
 *
 * @returns the environment.
 */
export function processEnv(): EnvSource {
  return runtimeProcess()?.env ?? EMPTY;
}

/**
 * Reads one string variable from an environment source.
 *
 * @param name - the variable name.
 * @param env - where to read it (default {@link processEnv}).
 * @returns the value when it is a string (empty strings included), else `undefined`.
 * @example
 * ```ts
 * const endpoint = readEnv("OTEL_EXPORTER_OTLP_ENDPOINT");
 * ```
 */
export function readEnv(name: string, env: EnvSource = processEnv()): string | undefined {
  try {
    const value = env[name];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
