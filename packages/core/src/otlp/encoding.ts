import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { concatBytes } from "./bytes";
import type { OtlpProtocol } from "./sender";

/**
 * How spans are written for one OTLP/HTTP protocol. {@link protobufTraceEncoding} and
 * {@link jsonTraceEncoding} are the two; they are separate values so that a bundle keeps only
 * the one it uses (see {@link createOtlpTraceExporterFor}).
 *
 * @example
 * ```ts
 * const encoding: OtlpTraceEncoding = protobufTraceEncoding;
 * const body = encoding.encode(spans);
 * ```
 */
export interface OtlpTraceEncoding {
  /** The protocol the bodies are in; sets the request's `content-type`. */
  readonly protocol: OtlpProtocol;
  /**
   * Encodes spans as one export request. May throw on a malformed span (the exporter then
   * encodes span by span and repairs or leaves out the culprit).
   */
  encode(spans: readonly ReadableSpan[]): Uint8Array | undefined;
  /**
   * Joins export requests encoded separately into one carrying all their spans, or
   * `undefined` when the parts cannot be joined.
   */
  join(parts: readonly Uint8Array[]): Uint8Array | undefined;
  /** Decodes an export response body, for its `partial_success` (may throw). */
  decodeResponse(body: Uint8Array): unknown;
}

/**
 * Binary protobuf (`http/protobuf`, the OTLP default), encoded with
 * `@opentelemetry/otlp-transformer`. Requests join by concatenation: protobuf merges
 * repeated fields.
 */
export const protobufTraceEncoding: OtlpTraceEncoding = {
  protocol: "http/protobuf",
  encode: (spans) => ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[]),
  join: concatBytes,
  decodeResponse: (body) => ProtobufTraceSerializer.deserializeResponse(body),
};
