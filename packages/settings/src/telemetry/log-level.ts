import { LOG_LEVELS, type LogLevel } from "@groundwork/core";
import { z } from "zod";
import { kindMeta } from "../helpers/kinds";

// Case-insensitive without the `i` flag, which JSON Schema patterns cannot carry.
const anyCase = (name: string) =>
  [...name].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join("");
const LEVEL = new RegExp(`^(?:${LOG_LEVELS.map(anyCase).join("|")})$`);

/**
 * A log level setting: core's level names in any case (`INFO`, `debug`, `Warn`),
 * yielding core's lower-case `LogLevel`.
 */
export function logLevel() {
  return z
    .string()
    .regex(LEVEL, `expected one of ${LOG_LEVELS.join(", ")} (in any case)`)
    .transform((value) => value.toLowerCase() as LogLevel)
    .meta(kindMeta("log-level"));
}
