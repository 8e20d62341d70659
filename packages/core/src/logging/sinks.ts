import { runtimeGlobal } from "@groundwork/platform";
import type { LogLevel } from "./levels";

// Core compiles without DOM or Node typings; the console is described structurally
// and looked up at write time (a test or runtime may replace it).
interface ConsoleLike {
  log(line: string): void;
  error(line: string): void;
}

/** A structured log record, as record sinks receive it. Fields are redacted and plain JSON values. */
export interface LogRecord {
  /** Milliseconds since the Unix epoch. */
  time: number;
  level: LogLevel;
  msg: string;
  /** Context fields merged with the call's fields (the call's win). */
  fields: Record<string, unknown>;
  /** The active span's trace id, whenever its context is valid (sampled or not). */
  traceId?: string;
  /** The active span's id, with `traceId`. */
  spanId?: string;
  /** W3C trace flags of the active span, with `traceId`: bit 0 (`1`) set when the trace is sampled. */
  traceFlags?: number;
  service?: string;
  version?: string;
}

/** A sink that receives formatted lines (JSON or text, without a trailing newline). */
export interface LineSink {
  readonly kind: "line";
  write(line: string, level: LogLevel): void;
  /** Resolves once everything written so far has been handed on. */
  flush?(): Promise<void>;
}

/** A sink that receives structured records (tests, in-memory buffers, custom pipelines). */
export interface RecordSink {
  readonly kind: "record";
  write(record: LogRecord): void;
  flush?(): Promise<void>;
}

/** Where log output goes. */
export type LogSink = LineSink | RecordSink;

/**
 * A line sink writing to the console: `console.log` below `warn`, `console.error`
 * from `warn` up. The natural sink in Workers and browsers.
 *
 * @returns a line sink.
 * @example
 * ```ts
 * createLogger({ sink: consoleSink() });
 * ```
 */
export function consoleSink(): LineSink {
  return {
    kind: "line",
    write(line, level) {
      const out = runtimeGlobal<ConsoleLike>("console");
      if (level === "warn" || level === "error" || level === "fatal") out?.error(line);
      else out?.log(line);
    },
  };
}

/**
 * A line sink calling your function with each formatted line.
 *
 * @param write - receives each line and its level.
 * @returns a line sink.
 * @example
 * ```ts
 * const lines: string[] = [];
 * createLogger({ sink: lineSink((line) => lines.push(line)) });
 * ```
 */
export function lineSink(write: (line: string, level: LogLevel) => void): LineSink {
  return { kind: "line", write };
}

/**
 * A record sink calling your function with each structured record.
 *
 * @param write - receives each record.
 * @returns a record sink.
 * @example
 * ```ts
 * createLogger({ sink: recordSink((r) => myPipeline.push(r)) });
 * ```
 */
export function recordSink(write: (record: LogRecord) => void): RecordSink {
  return { kind: "record", write };
}

/** A record sink that keeps records in memory, bounded. */
export interface MemorySink extends RecordSink {
  /** Records kept so far, oldest first. */
  records(): readonly LogRecord[];
  /** Records that did not fit and were dropped. */
  dropped(): number;
  /** Empties the buffer and returns what it held (e.g. to ship at the end of a request). */
  drain(): LogRecord[];
}

/**
 * A bounded in-memory record sink: keeps at most `maxRecords` records and
 * counts the rest as dropped. Used per request in Workers (flushed at the end)
 * and in tests.
 *
 * @param options.maxRecords - capacity; default 10000.
 * @returns the sink.
 * @example
 * ```ts
 * const sink = memorySink({ maxRecords: 1000 });
 * createLogger({ sink }).info("hello");
 * sink.records(); // [{ level: "info", msg: "hello", ... }]
 * ```
 */
export function memorySink(options: { maxRecords?: number } = {}): MemorySink {
  const max = options.maxRecords ?? 10_000;
  let buffer: LogRecord[] = [];
  let dropped = 0;
  return {
    kind: "record",
    write(record) {
      if (buffer.length < max) buffer.push(record);
      else dropped++;
    },
    records: () => buffer,
    dropped: () => dropped,
    drain() {
      const out = buffer;
      buffer = [];
      return out;
    },
  };
}
