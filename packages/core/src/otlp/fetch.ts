import { runtimeGlobal } from "@groundwork/platform";

// Core compiles without DOM or Node typings (`"types": []`), so the few web-standard globals
// the exporters need are described here structurally and looked up at call time. Reading them
// late also lets a runtime (or a test) replace `fetch` after this module loads.

/** The subset of `AbortSignal` the exporters rely on. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * The runtime's `AbortSignal` type where the compiling project has DOM or Node typings, else
 * {@link AbortSignalLike}. Resolved in the consumer's compilation, so that the runtime's own
 * `fetch` type-checks as an {@link OtlpFetch}.
 */
export type RuntimeAbortSignal = typeof globalThis extends {
  AbortSignal: { prototype: infer Signal };
}
  ? Signal
  : AbortSignalLike;

/** The subset of `AbortController` the exporters rely on. */
export interface AbortControllerLike {
  readonly signal: RuntimeAbortSignal;
  abort(reason?: unknown): void;
}

/**
 * The request options an OTLP sender passes to `fetch`.
 *
 * A web-standard `RequestInit` accepts all of these, so any `fetch` implementation can be
 * injected through {@link OtlpFetch}.
 */
export interface OtlpFetchInit {
  /** Always `"POST"`. */
  method: "POST";
  /** `content-type` plus the configured headers. */
  headers: Record<string, string>;
  /** The encoded export request. */
  body: Uint8Array | string;
  /** Aborts the attempt on timeout or shutdown. */
  signal: RuntimeAbortSignal;
}

/** The subset of a response body stream's reader the sender uses. */
export interface OtlpResponseReader {
  /** The next chunk, or `done` at the end of the body. */
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  /** Stops reading and releases the connection. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The subset of a `fetch` response body (a `ReadableStream`) the sender uses: a 2xx body is
 * read (up to a small limit) for a partial success, any other body is cancelled.
 */
export interface OtlpResponseBody {
  /** Discards the body unread. */
  cancel(reason?: unknown): Promise<void>;
  /** Present on every real stream; a body without it is cancelled unread. */
  getReader?(): OtlpResponseReader;
}

/** The subset of a `fetch` `Response` an OTLP sender reads. */
export interface OtlpFetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body?: OtlpResponseBody | null;
  /**
   * Reads the whole body at once; used instead of the body's reader when `content-length`
   * declares a small body (one call into the runtime rather than one per chunk).
   */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/**
 * A `fetch`-compatible function. The global `fetch` of Node, workerd, Deno, Bun and browsers
 * all fit; tests and adapters may inject their own (a service binding, an instrumented client).
 *
 * @example
 * ```ts
 * createOtlpHttpSender({ endpoint, fetch: globalThis.fetch });
 * const viaBinding: OtlpFetch = (url, init) => env.COLLECTOR.fetch(url, init);
 * ```
 */
export type OtlpFetch = (url: string, init: OtlpFetchInit) => Promise<OtlpFetchResponse>;

/** The runtime's `fetch`, looked up at call time; `undefined` where there is none. */
export function globalFetch(): OtlpFetch | undefined {
  const fetch = runtimeGlobal<OtlpFetch>("fetch");
  return typeof fetch === "function" ? fetch.bind(globalThis) : undefined;
}

/** A new `AbortController` (every supported runtime has one). */
export function newAbortController(): AbortControllerLike {
  const Ctor = runtimeGlobal<new () => AbortControllerLike>("AbortController");
  if (Ctor === undefined) throw new TypeError("AbortController is not available in this runtime");
  return new Ctor();
}
