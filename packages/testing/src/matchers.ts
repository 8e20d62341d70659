import type { LogLevel } from "@groundwork/core";
import { TestingError } from "./errors";
import { type CapturedLog, describeLogs, type LogQuery, logMatches } from "./logs/match";

/** The result shape of a vitest/jest matcher. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

const LEVELS = new Set<string>(["trace", "debug", "info", "warn", "error", "fatal"]);

function isCapture(value: unknown): value is { logs(): CapturedLog[] } {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { logs?: unknown }).logs === "function"
  );
}

/**
 * Parses `toHaveLogged`'s arguments: `(msg)`, `(msg, fields)`, `(level, msg)`,
 * `(level, msg, fields)`; a first argument that is a level name followed by a
 * message is the level.
 */
export function parseLogQuery(args: readonly unknown[]): LogQuery {
  const [a, b, c] = args;
  if (typeof a === "string" && LEVELS.has(a) && (typeof b === "string" || b instanceof RegExp)) {
    return {
      level: a as LogLevel,
      msg: b,
      ...(c === undefined ? {} : { fields: c as Record<string, unknown> }),
    };
  }
  if (typeof a !== "string" && !(a instanceof RegExp)) {
    throw new TestingError(
      "ERR_INVALID_ARGUMENT",
      "toHaveLogged expects a message string or RegExp",
    );
  }
  return { msg: a, ...(b === undefined ? {} : { fields: b as Record<string, unknown> }) };
}

function describeQuery(q: LogQuery): string {
  const level = q.level ? `${q.level} ` : "";
  const fields = q.fields ? ` with fields ${JSON.stringify(q.fields)}` : "";
  return `${level}${String(q.msg)}${fields}`;
}

/**
 * Matcher: the capture holds a log record with this message (string or
 * RegExp), and optionally this level and a subset of fields.
 *
 * @example
 * ```ts
 * expect(t).toHaveLogged("info", "request served", { status: 200 });
 * expect(t).toHaveLogged(/retry/);
 * expect(t).not.toHaveLogged("error", /.+/);
 * ```
 */
export function toHaveLogged(received: unknown, ...args: unknown[]): MatcherResult {
  if (!isCapture(received)) {
    return {
      pass: false,
      message: () => "toHaveLogged expects the object returned by createTestTelemetry()",
    };
  }
  const query = parseLogQuery(args);
  const logs = received.logs();
  const pass = logs.some((l) => logMatches(l, query));
  return {
    pass,
    message: () =>
      pass
        ? `expected no log record matching ${describeQuery(query)}, but found one among:\n${describeLogs(logs)}`
        : `expected a log record matching ${describeQuery(query)}, captured:\n${describeLogs(logs)}`,
  };
}
