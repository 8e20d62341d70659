import { CoreError } from "../errors";

/** Log levels, from most to least verbose. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Numeric severity of each level (pino's numbers, so existing log tooling reads them). */
export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** All levels in increasing severity. */
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/** `off` disables a logger entirely. */
export const LEVEL_OFF = 100;

/**
 * Parses a level name case-insensitively (`"INFO"`, `"warning"` and `"off"`
 * included) into its numeric value.
 *
 * @param value - a level name.
 * @returns the numeric severity; {@link LEVEL_OFF} for `"off"`.
 * @throws {CoreError} `ERR_INVALID_LOG_LEVEL` for anything else.
 * @example
 * ```ts
 * parseLogLevel("INFO"); // 30
 * ```
 */
export function parseLogLevel(value: string): number {
  const name = value.trim().toLowerCase();
  if (name === "off" || name === "none" || name === "silent") return LEVEL_OFF;
  if (name === "warning") return LEVEL_VALUES.warn;
  if (name === "critical") return LEVEL_VALUES.fatal;
  const v = (LEVEL_VALUES as Record<string, number | undefined>)[name];
  if (v === undefined) {
    throw new CoreError(
      "ERR_INVALID_LOG_LEVEL",
      `invalid log level ${JSON.stringify(String(value))}: expected one of ${LOG_LEVELS.join(", ")}, off`,
    );
  }
  return v;
}
