/** Stable codes carried by {@link NodeError}. */
export type NodeErrorCode =
  /** An options object was invalid; thrown at construction. */
  | "ERR_INVALID_OPTION"
  /** A server could not listen on the address it was given. */
  | "ERR_LISTEN"
  /** A request body went over the configured limit (see `status`, 413). */
  | "ERR_BODY_TOO_LARGE"
  /** The client went away before the request body ended. */
  | "ERR_CLIENT_ABORTED";

/** Options of the {@link NodeError} constructor. */
export interface NodeErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The HTTP status this error maps to, when it stands for a request failure. */
  status?: number;
}

/**
 * The one error class of `@groundwork/node`. Options are checked when a
 * server or wrapper is created (`ERR_INVALID_OPTION`), listening failures
 * reject with `ERR_LISTEN`, and a request body that is too large or cut off
 * fails the body stream the handler reads with `ERR_BODY_TOO_LARGE` or
 * `ERR_CLIENT_ABORTED`. Telemetry never throws it at run time.
 *
 * @example
 * ```ts
 * import { NodeError, serve } from "@groundwork/node";
 * try {
 *   await serve(handler, { port: -1 });
 * } catch (error) {
 *   if (error instanceof NodeError) console.error(error.code); // "ERR_INVALID_OPTION"
 * }
 * ```
 */
export class NodeError extends Error {
  /** Machine-readable reason; stable across releases. */
  readonly code: NodeErrorCode;
  /** The HTTP status this error maps to, when it stands for a request failure (413 for a body too large). */
  readonly status: number | undefined;

  /**
   * @param code - the stable error code
   * @param message - a sentence naming what is wrong
   * @param options - `cause` and `status` (default none)
   */
  constructor(code: NodeErrorCode, message: string, options: NodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "NodeError";
    this.code = code;
    this.status = options.status;
  }
}
