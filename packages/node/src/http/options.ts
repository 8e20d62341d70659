import { NodeError } from "../errors";
import type { HttpTelemetryOptions } from "./telemetry";

function invalid(name: string, expected: string, value: unknown): NodeError {
  let shown: string;
  try {
    shown = typeof value === "function" ? "a function" : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  return new NodeError("ERR_INVALID_OPTION", `${name}: expected ${expected}, got ${shown}`);
}

/** Throws unless `value` is undefined or an integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer from ${min} to ${max}`, value);
  }
}

/** Throws unless `value` is undefined or a boolean. */
export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") throw invalid(name, "a boolean", value);
}

/** Throws unless `value` is undefined or a function. */
export function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "function") throw invalid(name, "a function", value);
}

/** Throws unless `value` is undefined or an object (not an array). */
export function checkObject(name: string, value: unknown): void {
  if (
    value !== undefined &&
    (typeof value !== "object" || value === null || Array.isArray(value))
  ) {
    throw invalid(name, "an object", value);
  }
}

/** Throws unless `value` is undefined or a non-empty string. */
export function checkString(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "string" || value === "")) {
    throw invalid(name, "a non-empty string", value);
  }
}

/** Throws unless `value` is undefined or an array of strings. */
export function checkStringArray(name: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw invalid(name, "an array of strings", value);
  }
}

/** Checks the telemetry options shared by `serve()` and `instrumentServer()`. */
export function checkTelemetryOptions(options: HttpTelemetryOptions): void {
  const telemetry: unknown = options.telemetry;
  if (
    telemetry !== undefined &&
    (typeof telemetry !== "object" ||
      telemetry === null ||
      typeof (telemetry as { context?: { run?: unknown } }).context?.run !== "function")
  ) {
    throw invalid("telemetry", "a telemetry instance from createTelemetry()", telemetry);
  }
  const metrics: unknown = options.metrics;
  if (
    metrics !== undefined &&
    metrics !== false &&
    (typeof metrics !== "object" ||
      metrics === null ||
      typeof (metrics as { collect?: unknown }).collect !== "function")
  ) {
    throw invalid("metrics", "a registry from createRegistry(), or false", metrics);
  }
  checkBoolean("accessLog", options.accessLog);
  checkInteger("maxRoutes", options.maxRoutes, 0, 100_000);
}

/** Throws unless `options` itself is undefined or an object. */
export function checkOptionsObject(value: unknown): void {
  checkObject("options", value);
}
