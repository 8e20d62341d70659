import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { TestingError } from "../errors";
import { expectTraceTree, type TraceShape } from "./shape";
import { buildTraceTrees, type TraceNode } from "./tree";

/** What the trace matchers accept: anything exposing the captured spans (e.g. `createTestTelemetry()`). */
export interface SpanSource {
  spans(): ReadableSpan[];
}

/** The part of the jest/vitest matcher context the trace matchers use, when present. */
export interface TraceMatcherContext {
  /** Deep equality that understands asymmetric matchers (`expect.any(Number)`). */
  equals?(a: unknown, b: unknown): boolean;
}

/** Result of a matcher. */
export interface TraceMatcherResult {
  pass: boolean;
  message: () => string;
}

function isSpanSource(value: unknown): value is SpanSource {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { spans?: unknown }).spans === "function"
  );
}

function plainEquals(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => plainEquals(x, b[i]));
  }
  return Object.is(a, b);
}

function describeSpans(spans: readonly ReadableSpan[]): string {
  if (spans.length === 0) return "  (no spans)";
  return spans.map((s) => `  ${JSON.stringify(s.name)} ${JSON.stringify(s.attributes)}`).join("\n");
}

/**
 * Matcher: a finished span with this name exists and, if given, has at least
 * these attributes (other attributes are allowed). Attribute values compare
 * with the runner's equality when called as a matcher, so
 * `expect.any(Number)` works. Register with `expect.extend({ toHaveSpan })`.
 *
 * @param received - an object with `spans()`, e.g. `createTestTelemetry()`.
 * @param name - span name (a RegExp matches any name it tests true on).
 * @param attributes - subset of attributes the span must have (default none).
 * @returns the matcher result.
 * @example
 * ```ts
 * expect(t).toHaveSpan("db.query", { "db.system": "postgresql" });
 * expect(t).not.toHaveSpan(/^retry/);
 * ```
 */
export function toHaveSpan(
  this: TraceMatcherContext | undefined,
  received: unknown,
  name: string | RegExp,
  attributes?: Record<string, AttributeValue | unknown>,
): TraceMatcherResult {
  if (!isSpanSource(received)) {
    return {
      pass: false,
      message: () => "toHaveSpan expects an object with spans(), e.g. createTestTelemetry()",
    };
  }
  const equals = this?.equals?.bind(this) ?? plainEquals;
  const spans = received.spans();
  const nameMatches = (s: ReadableSpan) =>
    typeof name === "string" ? s.name === name : name.test(s.name);
  const attrsMatch = (attrs: Attributes) =>
    attributes === undefined ||
    Object.entries(attributes).every(([k, v]) => k in attrs && equals(attrs[k], v));
  const pass = spans.some((s) => nameMatches(s) && attrsMatch(s.attributes));
  const what = `${String(name)}${attributes ? ` with attributes ${JSON.stringify(attributes)}` : ""}`;
  return {
    pass,
    message: () =>
      pass
        ? `expected no span ${what}, but found one among:\n${describeSpans(spans)}`
        : `expected a span ${what}, captured:\n${describeSpans(spans)}`,
  };
}

/**
 * Matcher form of {@link expectTraceTree}: the captured traces have exactly
 * this shape (names, nesting, start order).
 *
 * @param received - an object with `spans()`, e.g. `createTestTelemetry()`.
 * @param expected - a tree shape, a list of them, or an indented outline.
 * @returns the matcher result.
 * @example
 * ```ts
 * expect(t).toHaveTraceTree(["request", ["db.query"], ["render"]]);
 * ```
 */
export function toHaveTraceTree(
  received: unknown,
  expected: TraceShape | readonly TraceShape[],
): TraceMatcherResult {
  if (!isSpanSource(received)) {
    return {
      pass: false,
      message: () => "toHaveTraceTree expects an object with spans(), e.g. createTestTelemetry()",
    };
  }
  try {
    // Prefer the source's own trees: a capture knows the exact start order.
    const withTrees = received as SpanSource & { traces?: () => TraceNode[] };
    const roots =
      typeof withTrees.traces === "function"
        ? withTrees.traces()
        : buildTraceTrees(received.spans());
    expectTraceTree(roots, expected);
    return { pass: true, message: () => "expected the trace tree to differ, but it matched" };
  } catch (err) {
    if (!(err instanceof TestingError) || err.code !== "ERR_TRACE_TREE_MISMATCH") throw err;
    return { pass: false, message: () => err.message };
  }
}

/** The trace matchers, for `expect.extend(traceMatchers)`. */
export const traceMatchers = { toHaveSpan, toHaveTraceTree };
