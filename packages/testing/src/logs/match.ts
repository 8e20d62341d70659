import type { LogLevel, LogRecord } from "@groundwork/core";

/** A captured log record, as `t.logs()` returns it. */
export interface CapturedLog {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
  traceId?: string;
  spanId?: string;
}

/** What to look for: a message (exact string or pattern), optionally a level and a subset of fields. */
export interface LogQuery {
  level?: LogLevel;
  msg: string | RegExp;
  fields?: Record<string, unknown>;
}

/** Turns a sink record into the captured shape. */
export function toCapturedLog(record: LogRecord): CapturedLog {
  const out: CapturedLog = { level: record.level, msg: record.msg, fields: record.fields };
  if (record.traceId !== undefined) out.traceId = record.traceId;
  if (record.spanId !== undefined) out.spanId = record.spanId;
  return out;
}

/**
 * Whether `actual` contains `expected`: objects match when every expected key
 * matches (extra keys are fine), arrays element-wise, RegExp against strings,
 * everything else by `Object.is`.
 */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (expected instanceof RegExp) return typeof actual === "string" && expected.test(actual);
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matchesSubset(actual[i], e))
    );
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).every(([k, v]) => matchesSubset(a[k], v));
  }
  return Object.is(actual, expected);
}

/** Whether one captured record satisfies a query. */
export function logMatches(log: CapturedLog, query: LogQuery): boolean {
  if (query.level !== undefined && log.level !== query.level) return false;
  const msgOk = typeof query.msg === "string" ? log.msg === query.msg : query.msg.test(log.msg);
  return msgOk && (query.fields === undefined || matchesSubset(log.fields, query.fields));
}

/** Renders records one per line for failure messages. */
export function describeLogs(logs: readonly CapturedLog[]): string {
  if (logs.length === 0) return "  (no log records)";
  return logs
    .map((l) => `  ${l.level.toUpperCase().padEnd(5)} ${l.msg} ${JSON.stringify(l.fields)}`)
    .join("\n");
}
