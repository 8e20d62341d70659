import type { LogRecord } from "@groundwork/core";
import type { OtlpProtocol } from "@groundwork/core/otlp";

/** What a {@link WorkerLogExporter} is opened with, once per isolate. */
export interface WorkerLogExportContext {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  /** `service.instance.id` of the isolate. */
  readonly instanceId: string;
  /** The Worker's collector (`otlp` or `OTEL_EXPORTER_OTLP_*`), if it has one. */
  readonly otlp:
    | {
        readonly endpoint: string;
        readonly headers: Readonly<Record<string, string>>;
        readonly protocol: OtlpProtocol;
        readonly timeoutMs: number;
      }
    | undefined;
}

/**
 * Sends one batch of log records; resolves `true` when they were accepted. Never rejects.
 * `timeoutMs` is what is left of the invocation's export budget.
 */
export type WorkerLogSend = (records: readonly LogRecord[], timeoutMs: number) => Promise<boolean>;

/**
 * Exports the log records of every invocation at its end (`logging.exporter`), through the
 * same `waitUntil` path and per-isolate bounded buffer as spans. `createOtlpLogExporter()`
 * from `@groundwork/worker/otlp-logs` is one; a separate entry point so that Workers that do
 * not export logs do not bundle the encoder.
 *
 * @example
 * ```ts
 * // Posts each batch as JSON lines to an HTTP endpoint.
 * const exporter: WorkerLogExporter = {
 *   open: () => async (records) => {
 *     const body = records.map((r) => JSON.stringify(r)).join("\n");
 *     const res = await fetch("https://logs.example.com/ingest", { method: "POST", body });
 *     return res.ok;
 *   },
 * };
 * ```
 */
export interface WorkerLogExporter {
  /**
   * Called once per isolate, at its first invocation; returns the send function, or
   * `undefined` when there is nowhere to send (no collector configured).
   */
  open(context: WorkerLogExportContext): WorkerLogSend | undefined;
}
