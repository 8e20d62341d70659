/**
 * Stable codes of {@link TestingError}.
 *
 * - `ERR_TRACE_TREE_MISMATCH`: `expectTraceTree` found a different tree (`expected`, `actual`).
 * - `ERR_INVALID_OPTION`: a factory got an invalid option (thrown at construction).
 * - `ERR_INVALID_ARGUMENT`: a matcher got arguments it cannot read.
 */
export type TestingErrorCode =
  | "ERR_TRACE_TREE_MISMATCH"
  | "ERR_INVALID_OPTION"
  | "ERR_INVALID_ARGUMENT";

/** Extra facts a {@link TestingError} may carry, besides `cause`. */
export interface TestingErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** For `ERR_TRACE_TREE_MISMATCH`: the expected outline (names only, two spaces per level). */
  expected?: string;
  /** For `ERR_TRACE_TREE_MISMATCH`: the actual outline. */
  actual?: string;
}

/**
 * The one error class of `@groundwork/testing`: a failed `expectTraceTree`
 * (`ERR_TRACE_TREE_MISMATCH`, with both outlines), an invalid option of
 * `createTestTelemetry` or `createTraceCapture` (`ERR_INVALID_OPTION`), or
 * unreadable matcher arguments (`ERR_INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * try {
 *   expectTraceTree(t.traces(), ["request", ["db.query"]]);
 * } catch (err) {
 *   if (err instanceof TestingError && err.code === "ERR_TRACE_TREE_MISMATCH") console.log(err.actual);
 * }
 * ```
 */
export class TestingError extends Error {
  override readonly name = "TestingError";
  /** Machine-readable reason; stable across releases. */
  readonly code: TestingErrorCode;
  /** For `ERR_TRACE_TREE_MISMATCH`: the expected outline; else `undefined`. */
  readonly expected: string | undefined;
  /** For `ERR_TRACE_TREE_MISMATCH`: the actual outline; else `undefined`. */
  readonly actual: string | undefined;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - `cause`, and `expected`/`actual` for a tree mismatch (default none).
   */
  constructor(code: TestingErrorCode, message: string, options: TestingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.expected = options.expected;
    this.actual = options.actual;
  }
}
