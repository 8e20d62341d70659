/**
 * The shape every Groundwork error class shares: one class per package (`CoreError`,
 * `MetricsError`, `SettingsError`, `RateLimitError`, `NodeError`, …) extending `Error`, with
 * `name` equal to the class name, a stable `ERR_…` code and the standard `cause`.
 */
export interface GroundworkErrorShape<Code extends `ERR_${string}` = `ERR_${string}`>
  extends Error {
  /** A stable, machine-readable code. */
  readonly code: Code;
  /** The underlying error, where there is one. */
  readonly cause?: unknown;
}

/**
 * Whether a value has the shape of a Groundwork error (any package's).
 *
 * @param value - anything.
 * @returns `true` for an `Error` with an `ERR_…` string `code`.
 */
export function isGroundworkError(value: unknown): value is GroundworkErrorShape {
  if (!(value instanceof Error)) return false;
  const code: unknown = (value as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_");
}
