// Everything a request does with @groundwork/core lives in this file: the
// forked log, the SERVER span continued from the caller, the access log line
// and the RED metrics. serve() and instrumentServer() only describe the
// request and report how it ended.
import {
  type Logger,
  startTrace,
  type Telemetry,
  TelemetryContext,
  w3cTraceparent,
} from "@groundwork/core";
import type { Registry } from "@groundwork/metrics";
import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from "./attributes";
import { type HttpServerMetrics, httpServerMetrics } from "./metrics";
import { createPathTemplater, normaliseMethod, OTHER_METHOD, UNMATCHED_ROUTE } from "./route";

/**
 * Status reported for a request whose client went away before the response
 * ended (nginx's "client closed request"); it never goes on the wire.
 */
export const CLIENT_CLOSED_STATUS = 499;

/** Telemetry options shared by `serve()` and `instrumentServer()`. */
export interface HttpTelemetryOptions {
  /**
   * The telemetry instance requests fork their log and trace from. Default:
   * the telemetry context current when the server is created (the installed
   * instance, if any).
   */
  telemetry?: Telemetry;
  /**
   * Registry for the RED metrics (`http_server_requests_total`,
   * `http_server_request_duration_seconds`, `http_server_requests_in_flight`),
   * or `false` for none. Default: the metrics package's default registry.
   */
  metrics?: Registry | false;
  /** Write one access log line per request (`request served`). Default `true`. */
  accessLog?: boolean;
  /**
   * Route templates for paths that no route matched, when no routes are
   * configured: identifier-looking segments become `:id`, and at most this
   * many templates are kept (the rest are `unmatched`). Default 100.
   */
  maxRoutes?: number;
}

/** What a server knows about a request when it arrives. */
export interface IncomingRequestInfo {
  /** The method as received. */
  method: string;
  /** The path, without the query. */
  path: string;
  /** `http` or `https`. */
  scheme: string;
  /** Host name of the `Host` header (or the local address). */
  serverAddress: string | undefined;
  /** Port of the `Host` header, else the local port. */
  serverPort: number | undefined;
  /** The peer's address. */
  clientAddress: string | undefined;
  /** `User-Agent`. */
  userAgent: string | undefined;
  /** `1.1`, `1.0`, `2`. */
  protocolVersion: string;
  /** Where `traceparent`, `tracestate` and `baggage` are read from. */
  headers: Record<string, string | string[] | undefined>;
  /** The route template, when known before the handler runs. */
  route: string | undefined;
}

/** How a request ended. */
export interface RequestOutcome {
  /** The status sent, or {@link CLIENT_CLOSED_STATUS} when the client went away first. */
  status: number;
  /** Response body bytes written, when known. */
  bytes: number | undefined;
  /** The route template, when it was learned while handling. */
  route?: string | undefined;
}

/** Per-server state built once from the options. */
export interface HttpInstrumentation {
  readonly base: TelemetryContext;
  readonly metrics: HttpServerMetrics | undefined;
  readonly accessLog: boolean;
  readonly template: (path: string, status: number) => string;
}

const unmatched = () => UNMATCHED_ROUTE;

/**
 * Builds the per-server telemetry state. Options are assumed checked.
 *
 * @param options - see {@link HttpTelemetryOptions}
 * @param routed - whether the app configured its routes: then paths none
 *   matched are `unmatched`, otherwise they are templated
 * @returns the state requests start from
 */
export function createHttpInstrumentation(
  options: HttpTelemetryOptions,
  routed: boolean,
): HttpInstrumentation {
  return {
    base: options.telemetry?.context ?? TelemetryContext.current(),
    metrics: options.metrics === false ? undefined : httpServerMetrics(options.metrics),
    accessLog: options.accessLog ?? true,
    template: routed ? unmatched : createPathTemplater(options.maxRoutes ?? 100),
  };
}

const noop = () => {};

/**
 * One request's telemetry: entered with `context.run` (or run in at once
 * through the constructor's `inside`), ended once with
 * {@link RequestTelemetry.end}.
 */
export class RequestTelemetry {
  /** The request's context: its forked log and its SERVER span. */
  context!: TelemetryContext;
  /** The SERVER span (non-recording when not sampled). */
  span!: Span;
  private readonly started = performance.now();
  private readonly method: string;
  private route: string | undefined;
  private failed = false;
  private ended = false;
  /** Whether the constructor's `inside` ran. */
  entered = false;
  private settle: () => void = noop;
  private inside: ((rt: RequestTelemetry) => void) | undefined;

  /**
   * @param instr - the server's state
   * @param info - the request
   * @param inside - run inside the request's context as soon as it exists,
   *   which spares entering it once more; it must not throw. Not run when the
   *   tracer failed (the context is then the request's forked log, not
   *   entered): see {@link entered}.
   */
  constructor(
    private readonly instr: HttpInstrumentation,
    private readonly info: IncomingRequestInfo,
    inside?: (rt: RequestTelemetry) => void,
  ) {
    this.inside = inside;
    this.method = normaliseMethod(info.method);
    this.route = info.route;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: this.method,
      [ATTR_URL_PATH]: info.path,
      [ATTR_URL_SCHEME]: info.scheme,
      [ATTR_NETWORK_PROTOCOL_VERSION]: info.protocolVersion,
    };
    if (this.method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = info.method;
    if (info.route !== undefined) attributes[ATTR_HTTP_ROUTE] = info.route;
    if (info.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = info.serverAddress;
    if (info.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = info.serverPort;
    if (info.clientAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = info.clientAddress;
    if (info.userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = info.userAgent;
    instr.metrics?.server_requests_in_flight.inc();
    let fork: TelemetryContext | undefined;
    try {
      fork = instr.base.forkLog();
      // The promise is the span's lifetime: it resolves in end(), never rejects.
      // The trace starts in the forked log's context without entering it
      // first: one context entry per request instead of two.
      void startTrace(
        spanName(this.method, info.route),
        {
          parent: fork.otel,
          stitchWith: info.headers,
          kind: SpanKind.SERVER,
          attributes,
        },
        this.enter,
      );
    } catch {
      // A broken context manager must not take the request down.
    }
    // Without a span (a tracer that failed) the request runs in its forked
    // log, untraced; the caller enters it, since `inside` did not run.
    this.context ??= fork ?? instr.base;
  }

  // Runs inside the new span; a recording span ends when the promise settles.
  // One that records nothing (most, when sampling) has nothing to end: no
  // promise is made for it, which also spares the async hooks Node runs for
  // every promise while a context manager is active.
  private readonly enter = (span: Span): Promise<void> | undefined => {
    this.span = span;
    const current = TelemetryContext.current();
    // A tracer that failed runs this with a stand-in span and no context
    // entered: nothing here is the request's context.
    if (trace.getSpan(current.otel) !== span) return undefined;
    this.context = current;
    const inside = this.inside;
    if (inside !== undefined) {
      this.inside = undefined;
      this.entered = true;
      inside(this);
    }
    if (!span.isRecording()) return undefined;
    return new Promise<void>((resolve) => {
      this.settle = resolve;
    });
  };

  /** The request's log. */
  get log(): Logger {
    return this.context.log;
  }

  /** The `traceparent` of the SERVER span, for the response. */
  traceparent(): string | undefined {
    try {
      return w3cTraceparent(this.context.otel);
    } catch {
      return undefined;
    }
  }

  /**
   * Records a failure of the handler: logged once at error level, recorded
   * on the span as an exception with `error.type` and ERROR status.
   */
  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    try {
      // In the request's context, wherever it is called from: the line
      // carries the request's trace ids (free when it is active already).
      this.context.run(() => this.record(error));
    } catch {
      // Telemetry never throws into the request.
    }
  }

  private record(error: unknown): void {
    this.log.error(
      "request handler failed",
      error instanceof Error ? error : { error: String(error) },
    );
    const span = this.span;
    if (span?.isRecording()) {
      span.recordException(
        error instanceof Error ? error : { name: "Error", message: String(error) },
      );
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Ends the request: span attributes and status, access log, metrics. Idempotent. */
  end(outcome: RequestOutcome): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.finish(outcome);
    } catch {
      // Telemetry never throws into the request.
    } finally {
      this.settle();
    }
  }

  private finish({ status, bytes, route: learned }: RequestOutcome): void {
    const seconds = (performance.now() - this.started) / 1000;
    const info = this.info;
    if (learned !== undefined) this.route = learned;
    const explicit = this.route;
    const route = explicit ?? this.instr.template(info.path, status);
    const span = this.span;
    if (span?.isRecording()) {
      if (explicit !== undefined && explicit !== info.route) {
        span.setAttribute(ATTR_HTTP_ROUTE, explicit);
        span.updateName(spanName(this.method, explicit));
      }
      if (status === CLIENT_CLOSED_STATUS) {
        if (!this.failed) span.setAttribute(ATTR_ERROR_TYPE, "aborted");
      } else {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        // Server spans mark only 5xx as errors; 4xx are the client's.
        if (status >= 500) {
          if (!this.failed) span.setAttribute(ATTR_ERROR_TYPE, String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
    }
    if (this.instr.accessLog) {
      const fields: Record<string, string | number> = {
        method: info.method,
        route,
        path: info.path,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
      };
      if (bytes !== undefined) fields.bytes = bytes;
      if (info.clientAddress !== undefined) fields.client_address = info.clientAddress;
      this.log.info("request served", fields);
    }
    const metrics = this.instr.metrics;
    if (metrics !== undefined) {
      metrics.server_requests_in_flight.dec();
      const labels = { method: this.method, route, status: String(status) };
      metrics.server_requests(labels).inc();
      metrics.server_request_duration(labels).observe(seconds);
    }
  }
}

function spanName(method: string, route: string | undefined): string {
  const m = method === OTHER_METHOD ? "HTTP" : method;
  return route === undefined || route === UNMATCHED_ROUTE ? m : `${m} ${route}`;
}

/** `error.type` of a thrown value: its class name, as the semantic conventions suggest. */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code.startsWith("ERR_") ? code : error.name || "Error";
  }
  return "_OTHER";
}
