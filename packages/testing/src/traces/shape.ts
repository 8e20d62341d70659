import { TestingError } from "../errors";
import type { TraceNode } from "./tree";

/**
 * The expected shape of a trace tree: a span name, or a name followed by the
 * shapes of its children, in start order: `["request", ["db.query"], "render"]`.
 */
export type TraceShape = string | readonly [string, ...TraceShape[]];

function shapeLines(shape: TraceShape, depth: number, out: string[]): void {
  if (typeof shape === "string") {
    out.push(`${"  ".repeat(depth)}${shape}`);
    return;
  }
  const [name, ...children] = shape;
  out.push(`${"  ".repeat(depth)}${name}`);
  for (const c of children) shapeLines(c, depth + 1, out);
}

function nodeLines(node: TraceNode, depth: number, out: string[]): void {
  out.push(`${"  ".repeat(depth)}${node.name}`);
  for (const c of node.children) nodeLines(c, depth + 1, out);
}

/** Strips blank lines and the indentation common to all lines of a template literal. */
function normaliseOutline(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const indent = Math.min(...lines.map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent).trimEnd()).join("\n");
}

/**
 * The names-only outline of trace trees, one span per line, two spaces per
 * level: what {@link expectTraceTree} compares.
 *
 * @param roots - trace trees, e.g. `t.traces()`.
 * @returns the outline.
 * @example
 * ```ts
 * traceOutline(t.traces()); // "request\n  db.query\n  render"
 * ```
 */
export function traceOutline(roots: readonly TraceNode[]): string {
  const out: string[] = [];
  for (const r of roots) nodeLines(r, 0, out);
  return out.join("\n");
}

function isShapeList(expected: readonly unknown[]): boolean {
  return expected.length > 0 && typeof expected[0] !== "string";
}

/**
 * Asserts the shape of captured traces, in the spirit of Foundations'
 * `test_trace!`: span names and nesting, children in start order. `expected`
 * is one tree (`["root", ["child", "grandchild"]]`), a list of trees, one per
 * root (`[["request"], ["background job"]]`), or an indented outline string.
 *
 * @param roots - trace trees, e.g. `t.traces()`.
 * @param expected - the expected shape.
 * @throws {TestingError} `ERR_TRACE_TREE_MISMATCH` when the shapes differ; the message shows both outlines.
 * @example
 * ```ts
 * expectTraceTree(t.traces(), ["request", ["db.query"], ["render", "template"]]);
 * expectTraceTree(t.traces(), `
 *   request
 *     db.query
 *     render
 *       template
 * `);
 * ```
 */
export function expectTraceTree(
  roots: readonly TraceNode[],
  expected: TraceShape | readonly TraceShape[],
): void {
  let want: string;
  if (typeof expected === "string") {
    want = normaliseOutline(expected);
  } else {
    const out: string[] = [];
    const shapes = isShapeList(expected)
      ? (expected as readonly TraceShape[])
      : [expected as TraceShape];
    for (const s of shapes) shapeLines(s, 0, out);
    want = out.join("\n");
  }
  const actual = traceOutline(roots);
  if (want !== actual) {
    throw new TestingError(
      "ERR_TRACE_TREE_MISMATCH",
      `trace tree does not match\n--- expected\n${want}\n+++ actual\n${actual}`,
      { expected: want, actual },
    );
  }
}
