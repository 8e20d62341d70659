import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

// The OTLP messages are decoded by protobufjs from the official opentelemetry-proto
// definitions, vendored unchanged in ../proto (see its NOTICE for the version). Decoding
// with an implementation independent of the exporters under test is what makes the
// receiver a real check of what an encoder produced.
const PROTO_DIR = fileURLToPath(new URL("../proto/", import.meta.url));
const SERVICES = ["trace", "metrics", "logs"].map(
  (signal) => `opentelemetry/proto/collector/${signal}/v1/${signal}_service.proto`,
);

function loadDefinitions(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports in the .proto files are relative to the proto root, not to the importing file.
  root.resolvePath = (_origin, target) => `${PROTO_DIR}${target}`;
  root.loadSync(SERVICES);
  root.resolveAll();
  return root;
}

const definitions = loadDefinitions();
const messageType = (name: string): protobuf.Type =>
  definitions.lookupType(`opentelemetry.proto.collector.${name}`);
const collector = {
  trace: {
    v1: {
      ExportTraceServiceRequest: messageType("trace.v1.ExportTraceServiceRequest"),
      ExportTraceServiceResponse: messageType("trace.v1.ExportTraceServiceResponse"),
    },
  },
  metrics: {
    v1: {
      ExportMetricsServiceRequest: messageType("metrics.v1.ExportMetricsServiceRequest"),
      ExportMetricsServiceResponse: messageType("metrics.v1.ExportMetricsServiceResponse"),
    },
  },
  logs: {
    v1: {
      ExportLogsServiceRequest: messageType("logs.v1.ExportLogsServiceRequest"),
      ExportLogsServiceResponse: messageType("logs.v1.ExportLogsServiceResponse"),
    },
  },
};

/** The three OTLP signals, by URL path. */
export type OtlpSignal = "traces" | "metrics" | "logs";

const SIGNAL_TYPES: Record<OtlpSignal, protobuf.Type> = {
  traces: collector.trace.v1.ExportTraceServiceRequest,
  metrics: collector.metrics.v1.ExportMetricsServiceRequest,
  logs: collector.logs.v1.ExportLogsServiceRequest,
};

const CONVERSION: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  arrays: true,
};

/** An OTLP `AnyValue` as a plain value: int64 becomes a number when it fits, else a bigint. */
export type OtlpValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | OtlpValue[]
  | { [key: string]: OtlpValue };

/** OTLP key-value attributes as a plain object. */
export type OtlpAttributes = Record<string, OtlpValue>;

/** The instrumentation scope a span, point or log record was reported under. */
export interface ReceivedScope {
  name: string;
  version: string;
  attributes: OtlpAttributes;
}

/** A span event as received. */
export interface ReceivedSpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: OtlpAttributes;
}

/** A span link as received. */
export interface ReceivedSpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: OtlpAttributes;
}

/** One span as received, flattened with its resource and scope; ids in lowercase hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** `undefined` for a root span. */
  parentSpanId: string | undefined;
  traceState: string;
  flags: number;
  name: string;
  /** The proto enum name, e.g. `"SPAN_KIND_SERVER"`. */
  kind: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
  /** `code` is the proto enum name: `STATUS_CODE_UNSET`, `STATUS_CODE_OK` or `STATUS_CODE_ERROR`. */
  status: { code: string; message: string };
  resource: OtlpAttributes;
  scope: ReceivedScope;
}

/** One metric data point as received, flattened with its metric, resource and scope. */
export interface ReceivedMetricPoint {
  metric: string;
  description: string;
  unit: string;
  type: "gauge" | "sum" | "histogram" | "exponentialHistogram" | "summary";
  attributes: OtlpAttributes;
  startTimeUnixNano: bigint | undefined;
  timeUnixNano: bigint;
  /** Gauge and sum points: `asDouble` or `asInt`. */
  value?: number | bigint;
  /** Sums only. */
  isMonotonic?: boolean;
  /** Sums and histograms: the proto enum name, e.g. `"AGGREGATION_TEMPORALITY_CUMULATIVE"`. */
  aggregationTemporality?: string;
  /** Histograms and summaries. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Explicit-bucket histograms. */
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** Exponential histograms. */
  exponential?: {
    scale: number;
    zeroCount: number;
    positive: { offset: number; bucketCounts: number[] };
    negative: { offset: number; bucketCounts: number[] };
  };
  /** Summaries. */
  quantileValues?: { quantile: number; value: number }[];
  resource: OtlpAttributes;
  scope: ReceivedScope;
}

/** One log record as received, flattened with its resource and scope. */
export interface ReceivedLogRecord {
  timeUnixNano: bigint | undefined;
  observedTimeUnixNano: bigint | undefined;
  /** The proto enum name, e.g. `"SEVERITY_NUMBER_INFO"`. */
  severityNumber: string;
  severityText: string;
  body: OtlpValue | undefined;
  attributes: OtlpAttributes;
  traceId: string | undefined;
  spanId: string | undefined;
  eventName: string;
  resource: OtlpAttributes;
  scope: ReceivedScope;
}

/** A raw request as it reached the receiver, whatever the answer. */
export interface ReceivedRequest {
  /** `undefined` for a path that is not an OTLP signal. */
  signal: OtlpSignal | undefined;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  encoding: "protobuf" | "json" | "other";
  body: Buffer;
  /** The decoded `Export*ServiceRequest`, as protobufjs `toObject` renders it. */
  decoded: Record<string, unknown> | undefined;
  /** Why decoding failed (the request was answered 400). */
  decodeError: string | undefined;
  /** The status the receiver answered with. */
  status: number;
  /** Whether the client was still there when the answer was written. */
  delivered: boolean;
  receivedAt: number;
}

/** A scripted answer. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  /** Wait this long before answering (to simulate a slow collector). Default 0. */
  delayMs?: number;
  /** Response body. Default: an empty export response, or the partial success below. */
  body?: string | Uint8Array;
  /**
   * Answer with an OTLP `partial_success`: `rejected` items (spans, data points or log
   * records, by signal) and an error message, encoded in the request's encoding with the
   * official definitions. Ignored when `body` is set.
   */
  partialSuccess?: { rejected: number; errorMessage?: string };
}

/**
 * How the receiver answers: a status or a response for every request; a sequence consumed
 * one entry per request, the last entry repeating; or a function of the request.
 */
export type ResponseScript =
  | number
  | ScriptedResponse
  | readonly (number | ScriptedResponse)[]
  | ((request: ReceivedRequest) => number | ScriptedResponse);

/** A running OTLP/HTTP receiver. */
export interface OtlpReceiver {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Full URL of a signal's endpoint, e.g. `http://127.0.0.1:4711/v1/traces`. */
  endpoint(signal: OtlpSignal): string;
  /** Spans of every accepted (2xx, delivered) traces request, in arrival order. */
  traces(): ReceivedSpan[];
  /** Data points of every accepted metrics request, in arrival order. */
  metrics(): ReceivedMetricPoint[];
  /** Log records of every accepted logs request, in arrival order. */
  logs(): ReceivedLogRecord[];
  /** Every request, accepted or not. */
  requests(): ReceivedRequest[];
  /** Sets how the following requests are answered (default: 200 for all). */
  respondWith(script: ResponseScript): void;
  /** Forgets what was received and restores the default answer. */
  reset(): void;
  /** Resolves once `count` spans were accepted; rejects after `timeoutMs` (default 5000). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves once `count` requests arrived; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Closes the server and every open connection. */
  stop(): Promise<void>;
}

const hex = (bytes: unknown): string =>
  bytes instanceof Uint8Array ? Buffer.from(bytes).toString("hex") : "";

const toBigInt = (value: unknown): bigint | undefined =>
  typeof value === "string" || typeof value === "number" ? BigInt(value) : undefined;

const toNumber = (value: unknown): number =>
  typeof value === "string" ? Number(value) : typeof value === "number" ? value : 0;

function int64(value: unknown): number | bigint {
  const big = BigInt(value as string);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big;
}

type Obj = Record<string, unknown>;
const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);
const obj = (value: unknown): Obj =>
  typeof value === "object" && value !== null ? (value as Obj) : {};
const str = (value: unknown): string => (typeof value === "string" ? value : "");

function anyValue(value: unknown): OtlpValue {
  const v = obj(value);
  switch (v.value) {
    case "stringValue":
      return str(v.stringValue);
    case "boolValue":
      return v.boolValue === true;
    case "intValue":
      return int64(v.intValue);
    case "doubleValue":
      return toNumber(v.doubleValue);
    case "bytesValue":
      return new Uint8Array(v.bytesValue as Uint8Array);
    case "arrayValue":
      return list(obj(v.arrayValue).values).map(anyValue);
    case "kvlistValue":
      return attributes(obj(v.kvlistValue).values);
    default:
      return null;
  }
}

function attributes(value: unknown): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of list(value)) out[str(kv.key)] = anyValue(kv.value);
  return out;
}

function scope(value: unknown): ReceivedScope {
  const s = obj(value);
  return { name: str(s.name), version: str(s.version), attributes: attributes(s.attributes) };
}

function flattenSpans(request: Obj): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list(request.resourceSpans)) {
    const resource = attributes(obj(rs.resource).attributes);
    for (const ss of list(rs.scopeSpans)) {
      const sc = scope(ss.scope);
      for (const span of list(ss.spans)) {
        const status = obj(span.status);
        out.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId:
            span.parentSpanId instanceof Uint8Array && span.parentSpanId.length > 0
              ? hex(span.parentSpanId)
              : undefined,
          traceState: str(span.traceState),
          flags: toNumber(span.flags),
          name: str(span.name),
          kind: str(span.kind) || "SPAN_KIND_UNSPECIFIED",
          startTimeUnixNano: toBigInt(span.startTimeUnixNano) ?? 0n,
          endTimeUnixNano: toBigInt(span.endTimeUnixNano) ?? 0n,
          attributes: attributes(span.attributes),
          droppedAttributesCount: toNumber(span.droppedAttributesCount),
          events: list(span.events).map((e) => ({
            name: str(e.name),
            timeUnixNano: toBigInt(e.timeUnixNano) ?? 0n,
            attributes: attributes(e.attributes),
          })),
          links: list(span.links).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: str(l.traceState),
            attributes: attributes(l.attributes),
          })),
          status: { code: str(status.code) || "STATUS_CODE_UNSET", message: str(status.message) },
          resource,
          scope: sc,
        });
      }
    }
  }
  return out;
}

const METRIC_TYPES = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"] as const;

function buckets(value: unknown): { offset: number; bucketCounts: number[] } {
  const b = obj(value);
  return { offset: toNumber(b.offset), bucketCounts: list(b.bucketCounts).map(toNumber) };
}

function flattenMetrics(request: Obj): ReceivedMetricPoint[] {
  const out: ReceivedMetricPoint[] = [];
  for (const rm of list(request.resourceMetrics)) {
    const resource = attributes(obj(rm.resource).attributes);
    for (const sm of list(rm.scopeMetrics)) {
      const sc = scope(sm.scope);
      for (const metric of list(sm.metrics)) {
        const type = METRIC_TYPES.find((t) => metric[t] !== undefined);
        if (type === undefined) continue;
        const data = obj(metric[type]);
        for (const p of list(data.dataPoints)) {
          const point: ReceivedMetricPoint = {
            metric: str(metric.name),
            description: str(metric.description),
            unit: str(metric.unit),
            type,
            attributes: attributes(p.attributes),
            startTimeUnixNano: toBigInt(p.startTimeUnixNano),
            timeUnixNano: toBigInt(p.timeUnixNano) ?? 0n,
            resource,
            scope: sc,
          };
          if (type === "gauge" || type === "sum") {
            point.value = p.value === "asInt" ? int64(p.asInt) : toNumber(p.asDouble);
          }
          if (type === "sum") point.isMonotonic = data.isMonotonic === true;
          if (type === "sum" || type === "histogram" || type === "exponentialHistogram") {
            point.aggregationTemporality =
              str(data.aggregationTemporality) || "AGGREGATION_TEMPORALITY_UNSPECIFIED";
          }
          if (type === "histogram" || type === "exponentialHistogram" || type === "summary") {
            point.count = toNumber(p.count);
            point.sum = toNumber(p.sum);
          }
          if (type === "histogram" || type === "exponentialHistogram") {
            if (p.min !== undefined) point.min = toNumber(p.min);
            if (p.max !== undefined) point.max = toNumber(p.max);
          }
          if (type === "histogram") {
            point.bucketCounts = list(p.bucketCounts).map(toNumber);
            point.explicitBounds = list(p.explicitBounds).map(toNumber);
          }
          if (type === "exponentialHistogram") {
            point.exponential = {
              scale: toNumber(p.scale),
              zeroCount: toNumber(p.zeroCount),
              positive: buckets(p.positive),
              negative: buckets(p.negative),
            };
          }
          if (type === "summary") {
            point.quantileValues = list(p.quantileValues).map((q) => ({
              quantile: toNumber(q.quantile),
              value: toNumber(q.value),
            }));
          }
          out.push(point);
        }
      }
    }
  }
  return out;
}

function flattenLogs(request: Obj): ReceivedLogRecord[] {
  const out: ReceivedLogRecord[] = [];
  for (const rl of list(request.resourceLogs)) {
    const resource = attributes(obj(rl.resource).attributes);
    for (const sl of list(rl.scopeLogs)) {
      const sc = scope(sl.scope);
      for (const r of list(sl.logRecords)) {
        out.push({
          timeUnixNano: toBigInt(r.timeUnixNano),
          observedTimeUnixNano: toBigInt(r.observedTimeUnixNano),
          severityNumber: str(r.severityNumber) || "SEVERITY_NUMBER_UNSPECIFIED",
          severityText: str(r.severityText),
          body: r.body === undefined ? undefined : anyValue(r.body),
          attributes: attributes(r.attributes),
          traceId:
            r.traceId instanceof Uint8Array && r.traceId.length > 0 ? hex(r.traceId) : undefined,
          spanId: r.spanId instanceof Uint8Array && r.spanId.length > 0 ? hex(r.spanId) : undefined,
          eventName: str(r.eventName),
          resource,
          scope: sc,
        });
      }
    }
  }
  return out;
}

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP/JSON carries ids as hex where protobuf JSON would use base64; turn them into bytes. */
function hexIdsToBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIdsToBytes);
  if (typeof value !== "object" || value === null) return value;
  const out: Obj = {};
  for (const [key, field] of Object.entries(value as Obj)) {
    if (ID_FIELDS.has(key) && typeof field === "string") {
      if (!/^([0-9a-f]{2})*$/i.test(field)) throw new Error(`${key} is not hex: ${field}`);
      out[key] = new Uint8Array(Buffer.from(field, "hex"));
    } else {
      out[key] = hexIdsToBytes(field);
    }
  }
  return out;
}

function decode(
  signal: OtlpSignal,
  encoding: "protobuf" | "json",
  body: Buffer,
): Record<string, unknown> {
  const type = SIGNAL_TYPES[signal];
  if (encoding === "protobuf") return type.toObject(type.decode(body), CONVERSION);
  const parsed: unknown = hexIdsToBytes(JSON.parse(body.toString("utf8")));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("the JSON body is not an object");
  }
  return type.toObject(type.fromObject(parsed as Record<string, unknown>), CONVERSION);
}

const REJECTED_FIELD = {
  traces: "rejectedSpans",
  metrics: "rejectedDataPoints",
  logs: "rejectedLogRecords",
} as const;

function encodePartialSuccess(
  signal: OtlpSignal,
  encoding: "protobuf" | "json",
  partial: { rejected: number; errorMessage?: string },
): string | Uint8Array {
  const type = {
    traces: collector.trace.v1.ExportTraceServiceResponse,
    metrics: collector.metrics.v1.ExportMetricsServiceResponse,
    logs: collector.logs.v1.ExportLogsServiceResponse,
  }[signal];
  const message = type.fromObject({
    partialSuccess: {
      [REJECTED_FIELD[signal]]: partial.rejected,
      errorMessage: partial.errorMessage ?? "",
    },
  });
  if (encoding === "protobuf") return type.encode(message).finish();
  // Protobuf JSON mapping: int64 as a decimal string, camelCase names.
  return JSON.stringify(type.toObject(message, CONVERSION));
}

function encodingOf(contentType: string | undefined): "protobuf" | "json" | "other" {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  if (type === "application/json") return "json";
  return "other";
}

const normalize = (answer: number | ScriptedResponse): ScriptedResponse =>
  typeof answer === "number" ? { status: answer } : answer;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts an OTLP/HTTP receiver on 127.0.0.1 (a free port) that accepts `POST /v1/traces`,
 * `/v1/metrics` and `/v1/logs` in protobuf or JSON, decodes them with the official OTLP
 * protobuf definitions and records what arrived. Answers can be scripted to simulate an
 * unavailable, throttling, rejecting or slow collector.
 *
 * @returns the running receiver; call `stop()` when done
 * @example
 * ```ts
 * const receiver = await startOtlpReceiver();
 * receiver.respondWith([503, 200]);
 * const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") });
 * // … export spans …
 * const spans = await receiver.waitForSpans(1);
 * await receiver.stop();
 * ```
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  let received: ReceivedRequest[] = [];
  let spans: ReceivedSpan[] = [];
  let points: ReceivedMetricPoint[] = [];
  let logRecords: ReceivedLogRecord[] = [];
  let script: ResponseScript = 200;
  let sequenceIndex = 0;

  function nextAnswer(request: ReceivedRequest): ScriptedResponse {
    if (typeof script === "function") return normalize(script(request));
    if (Array.isArray(script)) {
      const sequence = script as readonly (number | ScriptedResponse)[];
      const entry = sequence[Math.min(sequenceIndex, sequence.length - 1)] ?? 200;
      sequenceIndex++;
      return normalize(entry);
    }
    return normalize(script as number | ScriptedResponse);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const match = /^\/v1\/(traces|metrics|logs)$/.exec(path);
    const signal = match ? (match[1] as OtlpSignal) : undefined;
    const encoding = encodingOf(req.headers["content-type"]);
    const request: ReceivedRequest = {
      signal,
      method: req.method ?? "",
      path,
      headers: req.headers,
      encoding,
      body,
      decoded: undefined,
      decodeError: undefined,
      status: 0,
      delivered: false,
      receivedAt: Date.now(),
    };
    received.push(request);

    let answer: ScriptedResponse;
    if (req.method !== "POST") answer = { status: 405 };
    else if (signal === undefined) answer = { status: 404 };
    else if (encoding === "other") answer = { status: 415 };
    else {
      try {
        request.decoded = decode(signal, encoding, body);
        answer = nextAnswer(request);
      } catch (error) {
        request.decodeError = error instanceof Error ? error.message : String(error);
        answer = { status: 400 };
      }
    }
    request.status = answer.status;
    if (answer.delayMs !== undefined && answer.delayMs > 0) await sleep(answer.delayMs);
    if (res.destroyed || req.socket.destroyed) return;

    const responseBody =
      answer.body ??
      (answer.partialSuccess !== undefined && signal !== undefined && encoding !== "other"
        ? encodePartialSuccess(signal, encoding, answer.partialSuccess)
        : encoding === "json"
          ? "{}"
          : new Uint8Array(0));
    res.writeHead(answer.status, {
      "content-type": encoding === "json" ? "application/json" : "application/x-protobuf",
      ...answer.headers,
    });
    res.end(responseBody, () => {
      request.delivered = true;
      if (answer.status < 200 || answer.status >= 300 || request.decoded === undefined) return;
      if (signal === "traces") spans.push(...flattenSpans(request.decoded));
      if (signal === "metrics") points.push(...flattenMetrics(request.decoded));
      if (signal === "logs") logRecords.push(...flattenLogs(request.decoded));
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  async function waitUntil<T>(what: string, ready: () => T | undefined, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`OTLP receiver: timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  return {
    url,
    endpoint: (signal) => `${url}/v1/${signal}`,
    traces: () => [...spans],
    metrics: () => [...points],
    logs: () => [...logRecords],
    requests: () => [...received],
    respondWith(next) {
      script = next;
      sequenceIndex = 0;
    },
    reset() {
      received = [];
      spans = [];
      points = [];
      logRecords = [];
      script = 200;
      sequenceIndex = 0;
    },
    waitForSpans: (count, timeoutMs = 5000) =>
      waitUntil(
        `${count} spans`,
        () => (spans.length >= count ? [...spans] : undefined),
        timeoutMs,
      ),
    waitForRequests: (count, timeoutMs = 5000) =>
      waitUntil(
        `${count} requests`,
        () => (received.length >= count ? [...received] : undefined),
        timeoutMs,
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
