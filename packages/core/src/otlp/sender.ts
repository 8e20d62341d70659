import { clearTimer, setRefTimeout, type TimerHandle } from "@groundwork/platform";
import { diag } from "@opentelemetry/api";
import { CoreError } from "../errors";
import { concatBytes } from "./bytes";
import { createCircuit } from "./circuit";
import { parseOtlpEndpoint } from "./endpoint";
import {
  type AbortControllerLike,
  type AbortSignalLike,
  globalFetch,
  newAbortController,
  type OtlpFetch,
  type OtlpFetchResponse,
} from "./fetch";
import {
  backoffDelayMs,
  isRetryableStatus,
  type OtlpRetryOptions,
  type OtlpRetryPolicy,
  parseRetryAfterMs,
  resolveRetryPolicy,
} from "./retry";

/** The OTLP/HTTP encodings: binary protobuf (the default) or protobuf-JSON. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/**
 * Why a send failed. Stable strings, suitable as a metric label.
 *
 * - `http_status`: the endpoint answered with a non-2xx status (see `status`).
 * - `network`: `fetch` rejected (connection refused, DNS, TLS, reset).
 * - `timeout`: an attempt took longer than `timeoutMs`.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `shutdown`: the sender was shut down before or during the send.
 * - `unsupported`: the runtime has no `fetch` and none was injected.
 * - `serialization`: the exporter could not encode the data (never produced by the sender).
 * - `circuit_open`: recent sends kept failing, so this one was not attempted (the sender
 *   backs off as a whole and probes the endpoint about once a second until it recovers).
 */
export type ExportFailureReason =
  | "http_status"
  | "network"
  | "timeout"
  | "aborted"
  | "shutdown"
  | "unsupported"
  | "serialization"
  | "circuit_open";

/** A send that the endpoint accepted (2xx). */
export interface ExportSuccess {
  readonly ok: true;
  /** Attempts made, the successful one included. */
  readonly attempts: number;
  /**
   * The response body, when the endpoint sent a non-empty one of at most
   * {@link MAX_RESPONSE_BYTES} within the attempt's timeout: an OTLP export response that
   * may carry a `partial_success` (read it with `decodePartialSuccess`).
   */
  readonly response?: Uint8Array;
}

/** A send that was given up on. */
export interface ExportFailure {
  readonly ok: false;
  /**
   * Whether the last failure was transient (429/502/503/504, network error, timeout): the
   * data was dropped only because the attempts or the time budget ran out.
   */
  readonly retryable: boolean;
  /** The last failure's cause. */
  readonly reason: ExportFailureReason;
  /** The last HTTP status, when the endpoint answered. */
  readonly status?: number;
  /** Attempts made (0 when none could start). */
  readonly attempts: number;
  /** Human-readable detail for diagnostics; not stable. */
  readonly detail: string;
}

/**
 * The result of one {@link OtlpHttpSender.send}: `{ ok: true }` once the endpoint accepted
 * the request, or `{ ok: false, retryable, reason, status? }` once the sender gave up.
 * Sends never throw and never reject.
 *
 * OTLP `partial_success` responses (a 2xx whose body reports rejected items) are successes,
 * never retried; the body comes back in `response` for the exporter to decode.
 *
 * @example
 * ```ts
 * const outcome = await sender.send(body);
 * if (!outcome.ok && outcome.reason === "http_status") console.warn(outcome.status);
 * ```
 */
export type ExportOutcome = ExportSuccess | ExportFailure;

/**
 * Options of {@link createOtlpHttpSender}.
 *
 * @example
 * ```ts
 * const options: OtlpHttpSenderOptions = {
 *   endpoint: "http://127.0.0.1:4318/v1/traces",
 *   headers: { authorization: "Bearer token" },
 * };
 * ```
 */
export interface OtlpHttpSenderOptions {
  /**
   * Full URL of the OTLP/HTTP endpoint, path included (`…/v1/traces`, `…/v1/metrics`).
   * User information (`https://user:secret@host/…`) is sent as an `Authorization: Basic`
   * header, unless `headers` has one, and never as part of the URL; query-string values and
   * user information are printed as `[REDACTED]` in every error and diagnostic.
   */
  endpoint: string;
  /** Encoding of the bodies this sender posts; sets `content-type`. Default `"http/protobuf"`. */
  protocol?: OtlpProtocol;
  /** Extra request headers (authentication, tenancy). Default none. */
  headers?: Readonly<Record<string, string>>;
  /** Timeout of each attempt, in milliseconds. Default `10000`. */
  timeoutMs?: number;
  /** Retry policy; see {@link OtlpRetryOptions} for the defaults. */
  retry?: OtlpRetryOptions;
  /** The `fetch` to use. Default: the runtime's global `fetch`, looked up at each attempt. */
  fetch?: OtlpFetch;
  /** Source of jitter in [0, 1). Default `Math.random`; tests pass a fixed one. */
  random?: () => number;
}

/**
 * Posts encoded OTLP requests to one endpoint with timeouts and retries. Shared by every
 * signal: the trace exporter uses it, and so can a metrics or logs exporter.
 */
export interface OtlpHttpSender {
  /**
   * Posts one export request, retrying transient failures.
   *
   * @param body - the encoded request (protobuf bytes, or JSON text/bytes for `http/json`)
   * @param signal - aborts the send (no further attempts; the current one is cancelled)
   * @returns the outcome; never rejects
   */
  send(body: Uint8Array | string, signal?: AbortSignalLike): Promise<ExportOutcome>;
  /**
   * Stops the sender: later sends fail at once with reason `shutdown`, pending backoff waits
   * end and the attempts in flight are aborted (their sends fail with reason `shutdown`).
   * Await the sends first to let them finish. Idempotent.
   *
   * @returns a promise that resolves once nothing is in flight and no timer is left
   */
  shutdown(): Promise<void>;
  /**
   * Makes every send, from now on and those waiting to retry, give up at its next failure
   * instead of backing off: for the final flush before a process exits, where a retry
   * would only hold up the exit. Attempts already made are not cut short. Idempotent.
   */
  stopRetrying(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const CONTENT_TYPES: Readonly<Record<OtlpProtocol, string>> = {
  "http/protobuf": "application/x-protobuf",
  "http/json": "application/json",
};

const NOT_RETRIED = "not retried: the exporter is shutting down";

type AttemptResult = ExportSuccess | (ExportFailure & { readonly retryAfterMs?: number });

function failure(
  reason: ExportFailureReason,
  retryable: boolean,
  attempts: number,
  detail: string,
  status?: number,
): ExportFailure {
  return status === undefined
    ? { ok: false, retryable, reason, attempts, detail }
    : { ok: false, retryable, reason, status, attempts, detail };
}

function invalid(message: string): never {
  throw new CoreError("ERR_INVALID_OPTION", message);
}

function checkRetryOptions(retry: OtlpRetryOptions | undefined): void {
  if (retry === undefined) return;
  for (const name of ["initialBackoffMs", "maxBackoffMs", "maxElapsedMs"] as const) {
    const value = retry[name];
    if (
      value !== undefined &&
      (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    ) {
      invalid(`retry.${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  const attempts = retry.maxAttempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) {
    invalid(`retry.maxAttempts must be an integer ≥ 1, got ${String(attempts)}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : "";
    return `${error.message}${causeText}`;
  }
  return String(error);
}

/**
 * Creates a sender that posts OTLP/HTTP requests with `fetch`.
 *
 * Each attempt is aborted after `timeoutMs`. Statuses 429, 502, 503 and 504, network errors
 * and timeouts are retried with exponential backoff and full jitter, or after the server's
 * `Retry-After` when it sends one; other statuses (400, 401, 413…) are not retried. A send
 * gives up after `retry.maxAttempts` attempts or once `retry.maxElapsedMs` has passed, and
 * never waits past that budget.
 *
 * After two failed sends in a row (network errors, timeouts, 429 and 5xx answers) the sender
 * backs off as a whole: further sends fail at once with reason `circuit_open` and no request,
 * and one probe send is let through after 1 s, then after 2 s and 4 s while it keeps failing;
 * the first success restores normal sending.
 *
 * @param options - endpoint, protocol (default `"http/protobuf"`), headers, `timeoutMs`
 *   (default `10000`), retry policy and an optional `fetch`
 * @returns a sender with `send(body, signal?)` and `shutdown()`
 * @throws {CoreError} `ERR_INVALID_OPTION` for an endpoint that is not an http(s) URL, an
 *   unknown protocol, a timeout that is not a positive number, or a retry option that is not
 *   a finite number ≥ 0 (`maxAttempts`: an integer ≥ 1)
 * @example
 * ```ts
 * const sender = createOtlpHttpSender({ endpoint: "http://127.0.0.1:4318/v1/metrics" });
 * const outcome = await sender.send(ProtobufMetricsSerializer.serializeRequest(data)!);
 * if (!outcome.ok) dropped += 1;
 * await sender.shutdown();
 * ```
 */
export function createOtlpHttpSender(options: OtlpHttpSenderOptions): OtlpHttpSender {
  const parsed =
    typeof options.endpoint === "string" ? parseOtlpEndpoint(options.endpoint) : undefined;
  if (parsed === undefined) {
    // The value may hold credentials: say what is wrong without printing it.
    invalid(
      `endpoint must be an http(s) URL with a host, got ${typeof options.endpoint === "string" ? `a string of ${options.endpoint.length} characters` : typeof options.endpoint}`,
    );
  }
  // Requests go to the URL without user information; printed text only shows `display`.
  const endpoint = parsed.url;
  const shown = parsed.display;
  const redact = parsed.redact;
  const protocol: OtlpProtocol = options.protocol ?? "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    invalid(
      `protocol must be "http/protobuf" or "http/json", got ${JSON.stringify(String(protocol))}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    invalid(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  checkRetryOptions(options.retry);
  const policy: OtlpRetryPolicy = resolveRetryPolicy(options.retry);
  const random = options.random ?? Math.random;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (parsed.authorization !== undefined && headers.authorization === undefined) {
    headers.authorization = parsed.authorization;
  }
  headers["content-type"] = CONTENT_TYPES[protocol];

  let closed = false;
  let retrying = true;
  let shutdownPromise: Promise<void> | undefined;
  const inFlight = new Set<Promise<ExportOutcome>>();
  const sleepers = new Set<() => void>();
  const attempts = new Set<AbortControllerLike>();
  const circuit = createCircuit();

  /** Resolves `true` after `ms`, or `false` as soon as the send is aborted or shut down. */
  function sleep(ms: number, signal: AbortSignalLike | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: TimerHandle | undefined;
      const finish = (slept: boolean): void => {
        clearTimer(timer);
        sleepers.delete(wake);
        signal?.removeEventListener("abort", wake);
        resolve(slept);
      };
      const wake = (): void => finish(false);
      if (closed || signal?.aborted) return finish(false);
      sleepers.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
      // Referenced on purpose: an awaited flush or shutdown must not let Node exit halfway
      // through a backoff. The wait is bounded by the time budget.
      timer = setRefTimeout(() => finish(true), ms);
    });
  }

  async function attempt(
    body: Uint8Array | string,
    attemptNumber: number,
    attemptTimeoutMs: number,
    signal: AbortSignalLike | undefined,
  ): Promise<AttemptResult> {
    const fetchImpl = options.fetch ?? globalFetch();
    if (fetchImpl === undefined) {
      return failure("unsupported", false, attemptNumber - 1, "no fetch in this runtime");
    }
    const controller = newAbortController();
    attempts.add(controller);
    let timedOut = false;
    const onAbort = (): void => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setRefTimeout(() => {
      timedOut = true;
      controller.abort();
    }, attemptTimeoutMs);
    try {
      const response = await fetchImpl(endpoint, {
        method: "POST",
        headers,
        body,
        signal: controller.signal,
      });
      const status = response.status;
      if (status >= 200 && status < 300) {
        // The data is accepted: a body that cannot be read only loses the partial-success detail.
        const accepted = await readSmallBody(response);
        return accepted === undefined
          ? { ok: true, attempts: attemptNumber }
          : { ok: true, attempts: attemptNumber, response: accepted };
      }
      // An error body is not needed; releasing it frees the connection at once.
      response.body?.cancel().catch(() => undefined);
      const retryAfterMs = parseRetryAfterMs(response.headers.get("retry-after"));
      const result = failure(
        "http_status",
        isRetryableStatus(status),
        attemptNumber,
        `HTTP ${status} from ${shown}`,
        status,
      );
      return retryAfterMs === undefined ? result : { ...result, retryAfterMs };
    } catch (error) {
      if (timedOut) {
        return failure(
          "timeout",
          true,
          attemptNumber,
          `no response from ${shown} within ${attemptTimeoutMs} ms`,
        );
      }
      if (signal?.aborted) return failure("aborted", false, attemptNumber, "send aborted");
      if (closed) {
        return failure("shutdown", false, attemptNumber, "sender shut down during the attempt");
      }
      return failure("network", true, attemptNumber, redact(describe(error)));
    } finally {
      attempts.delete(controller);
      clearTimer(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function run(
    body: Uint8Array | string,
    signal: AbortSignalLike | undefined,
  ): Promise<ExportOutcome> {
    const deadline = Date.now() + policy.maxElapsedMs;
    for (let n = 1; ; n++) {
      if (signal?.aborted) return failure("aborted", false, n - 1, "send aborted");
      const remaining = Math.max(1, deadline - Date.now());
      const result = await attempt(body, n, Math.min(timeoutMs, remaining), signal);
      if (result.ok) return result;
      if (!result.retryable) return withoutRetryAfter(result, result.detail);
      if (!retrying) return withoutRetryAfter(result, `${result.detail}; ${NOT_RETRIED}`);
      if (n >= policy.maxAttempts) {
        return withoutRetryAfter(result, `${result.detail}; gave up after ${n} attempts`);
      }
      const delay = result.retryAfterMs ?? backoffDelayMs(n, policy, random);
      if (Date.now() + delay >= deadline) {
        return withoutRetryAfter(
          result,
          `${result.detail}; gave up: the next attempt would start after the ${policy.maxElapsedMs} ms budget`,
        );
      }
      diag.debug(`otlp: ${result.detail}; retrying in ${delay} ms`);
      if (!(await sleep(delay, signal))) {
        if (!retrying && !closed && signal?.aborted !== true) {
          return withoutRetryAfter(result, `${result.detail}; ${NOT_RETRIED}`);
        }
        return closed
          ? failure(
              "shutdown",
              true,
              n,
              `${result.detail}; sender shut down while waiting to retry`,
            )
          : failure("aborted", false, n, "send aborted");
      }
    }
  }

  function send(body: Uint8Array | string, signal?: AbortSignalLike): Promise<ExportOutcome> {
    if (closed) return Promise.resolve(failure("shutdown", false, 0, "sender is shut down"));
    if (!circuit.admit()) {
      return Promise.resolve(
        failure("circuit_open", true, 0, `recent sends to ${shown} failed; backing off`),
      );
    }
    let pending: Promise<ExportOutcome>;
    try {
      pending = run(body, signal)
        .catch((error: unknown) => failure("network", true, 0, redact(describe(error))))
        .then((outcome) => {
          circuit.record(outcome.ok || !countsAgainstEndpoint(outcome));
          return outcome;
        });
    } catch (error) {
      pending = Promise.resolve(failure("network", true, 0, redact(describe(error))));
    }
    inFlight.add(pending);
    void pending.then(() => inFlight.delete(pending));
    return pending;
  }

  function shutdown(): Promise<void> {
    if (shutdownPromise === undefined) {
      closed = true;
      for (const wake of [...sleepers]) wake();
      // Nothing may reach the endpoint once shutdown has resolved: cut the attempts short.
      for (const controller of [...attempts]) controller.abort();
      shutdownPromise = Promise.all([...inFlight]).then(() => undefined);
    }
    return shutdownPromise;
  }

  function stopRetrying(): void {
    retrying = false;
    for (const wake of [...sleepers]) wake();
  }

  return { send, shutdown, stopRetrying };
}

/** Whether a failed send says something about the endpoint's health (not about the data). */
function countsAgainstEndpoint(outcome: ExportFailure): boolean {
  if (outcome.reason === "network" || outcome.reason === "timeout") return true;
  return outcome.reason === "http_status" && (outcome.retryable || (outcome.status ?? 0) >= 500);
}

function withoutRetryAfter(
  result: ExportFailure & { readonly retryAfterMs?: number },
  detail: string,
): ExportFailure {
  return failure(result.reason, result.retryable, result.attempts, detail, result.status);
}

/** The largest export response body the sender keeps; OTLP responses are a few bytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Reads a 2xx body of at most {@link MAX_RESPONSE_BYTES}; `undefined` if empty, larger or
 * failing. Never rejects: the request was accepted, so nothing here may turn it into a retry.
 */
async function readSmallBody(response: OtlpFetchResponse): Promise<Uint8Array | undefined> {
  try {
    const stream = response.body;
    if (stream === undefined || stream === null) return undefined;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared === 0 || declared > MAX_RESPONSE_BYTES || typeof stream.getReader !== "function") {
      stream.cancel().catch(() => undefined);
      return undefined;
    }
    // A declared small length is read in one call: fewer promises and chunks than the reader.
    if (declared > 0 && typeof response.arrayBuffer === "function") {
      const bytes = new Uint8Array(await response.arrayBuffer());
      return bytes.byteLength === 0 || bytes.byteLength > MAX_RESPONSE_BYTES ? undefined : bytes;
    }
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) continue;
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
    if (size === 0) return undefined;
    return concatBytes(chunks);
  } catch {
    return undefined;
  }
}
