/** Stable codes carried by {@link WorkerError}. */
export type WorkerErrorCode = "ERR_INVALID_OPTION" | "ERR_INVALID_HANDLER";

/**
 * The error `@groundwork/worker` throws: only at construction (`instrument`,
 * `instrumentDO`) for invalid options or a handler that is not one; never
 * from a running invocation.
 *
 * @example
 * ```ts
 * import { instrument, WorkerError } from "@groundwork/worker";
 * try {
 *   instrument({ fetch: () => new Response("ok") }, { serviceName: "" });
 * } catch (error) {
 *   if (error instanceof WorkerError) console.error(error.code); // "ERR_INVALID_OPTION"
 * }
 * ```
 */
export class WorkerError extends Error {
  /** Machine-readable reason; stable across releases. */
  readonly code: WorkerErrorCode;

  /**
   * @param code - the stable error code.
   * @param message - a sentence naming the option and what is wrong.
   * @param options - standard error options (`cause`).
   */
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WorkerError";
    this.code = code;
  }
}
