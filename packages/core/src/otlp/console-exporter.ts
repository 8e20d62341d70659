import { runtimeGlobal } from "@groundwork/platform";
import type { AttributeValue } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

/**
 * Options of {@link createConsoleSpanExporter}.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const options: ConsoleSpanExporterOptions = { write: (line) => lines.push(line) };
 * ```
 */
export interface ConsoleSpanExporterOptions {
  /** Receives each formatted line. Default: `console.log`. */
  write?: (line: string) => void;
}

const STATUS_NAMES = ["UNSET", "OK", "ERROR"] as const;

function formatValue(value: AttributeValue | undefined): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/**
 * Formats one span as the console exporter prints it:
 * `name 12.345ms OK trace=… span=… parent=… key=value …`.
 *
 * @param span - a finished span
 * @returns one line, no trailing newline
 * @example
 * ```ts
 * formatSpanLine(span); // 'GET /users 3.201ms OK trace=4bf9… span=00f0… http.route=/users'
 * ```
 */
export function formatSpanLine(span: ReadableSpan): string {
  const context = span.spanContext();
  const status = STATUS_NAMES[span.status.code] ?? String(span.status.code);
  const parts = [
    span.name,
    `${hrTimeToMilliseconds(span.duration).toFixed(3)}ms`,
    span.status.message ? `${status}(${JSON.stringify(span.status.message)})` : status,
    `trace=${context.traceId}`,
    `span=${context.spanId}`,
  ];
  if (span.parentSpanContext !== undefined) parts.push(`parent=${span.parentSpanContext.spanId}`);
  for (const [key, value] of Object.entries(span.attributes)) {
    parts.push(`${key}=${formatValue(value)}`);
  }
  if (span.events.length > 0) parts.push(`events=${span.events.map((e) => e.name).join(",")}`);
  if (span.links.length > 0) parts.push(`links=${span.links.length}`);
  return parts.join(" ");
}

/**
 * Creates a `SpanExporter` for development that prints one compact line per span: name,
 * duration, status, trace/span/parent ids, attributes, event names and link count.
 * Pair it with a simple or batch span processor.
 *
 * @param options - where lines go; default `console.log`
 * @returns the exporter
 * @example
 * ```ts
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [createBatchSpanProcessor(createConsoleSpanExporter())],
 * });
 * ```
 */
export function createConsoleSpanExporter(options: ConsoleSpanExporterOptions = {}): SpanExporter {
  const write =
    options.write ??
    ((line: string) => {
      // Printing is this exporter's purpose. Core has no DOM or Node typings, so the console
      // is described structurally and looked up through the platform layer.
      runtimeGlobal<{ log(text: string): void }>("console")?.log(line);
    });
  let closed = false;
  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      if (closed) {
        resultCallback({
          code: ExportResultCode.FAILED,
          error: new Error("exporter is shut down"),
        });
        return;
      }
      try {
        for (const span of spans) write(formatSpanLine(span));
        resultCallback({ code: ExportResultCode.SUCCESS });
      } catch (error) {
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    },
    async shutdown(): Promise<void> {
      closed = true;
    },
    async forceFlush(): Promise<void> {},
  };
}
