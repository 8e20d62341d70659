import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { TraceNode } from "./tree";

/** Options of {@link renderTraceTree}. */
export interface RenderTraceTreeOptions {
  /** Include span attributes. Default `true`. */
  attributes?: boolean;
  /** Include span events. Default `true`. */
  events?: boolean;
  /** Include links. Default `true`. */
  links?: boolean;
  /**
   * Attribute keys whose values vary between runs and are shown as `<key>`
   * (on spans, events and links). Default: `exception.stacktrace`.
   */
  volatileKeys?: readonly string[];
}

const DEFAULT_VOLATILE = ["exception.stacktrace"];

interface IdNames {
  traces: Map<string, string>;
  spans: Map<string, string>;
}

function collectIds(roots: readonly TraceNode[]): IdNames {
  const traces = new Map<string, string>();
  const spans = new Map<string, string>();
  const visit = (n: TraceNode) => {
    if (!traces.has(n.traceId)) traces.set(n.traceId, `#${traces.size + 1}`);
    spans.set(n.spanId, `${traces.get(n.traceId)} ${JSON.stringify(n.name)}`);
    for (const c of n.children) visit(c);
  };
  for (const r of roots) visit(r);
  return { traces, spans };
}

function formatValue(value: AttributeValue | undefined, ids: IdNames): string {
  if (typeof value === "string") {
    // Ids differ on every run; show which captured trace or span they point to.
    const t = ids.traces.get(value);
    if (t !== undefined) return `<trace ${t}>`;
    const s = ids.spans.get(value);
    if (s !== undefined) return `<span ${s}>`;
    if (/^[0-9a-f]{32}$/.test(value)) return "<trace id>";
    if (/^[0-9a-f]{16}$/.test(value)) return "<span id>";
  }
  return JSON.stringify(value) ?? "undefined";
}

function formatAttributes(attrs: Attributes, ids: IdNames, volatile: readonly string[]): string {
  return Object.keys(attrs)
    .sort()
    .map((k) => `${k}=${volatile.includes(k) ? `<${k}>` : formatValue(attrs[k], ids)}`)
    .join(", ");
}

/**
 * Renders trace trees as stable indented text for snapshot tests. Trace and
 * span ids are replaced by their position (`#1`, `#2 "span name"`), times are
 * left out, attributes are sorted by key and volatile values (stack traces)
 * are masked, so the same code produces the same text on every run.
 *
 * @param roots - trace trees, e.g. `t.traces()`.
 * @param options - what to include (default: attributes, events and links).
 * @returns the text, one line per span, event, link and attribute.
 * @example
 * ```ts
 * expect(renderTraceTree(t.traces())).toMatchInlineSnapshot(`
 *   "trace #1
 *     request [SERVER]
 *       @ http.route="/users"
 *       db.query"
 * `);
 * ```
 */
export function renderTraceTree(
  roots: readonly TraceNode[],
  options: RenderTraceTreeOptions = {},
): string {
  const ids = collectIds(roots);
  const volatile = options.volatileKeys ?? DEFAULT_VOLATILE;
  const lines: string[] = [];
  const visit = (n: TraceNode, depth: number) => {
    const pad = "  ".repeat(depth);
    let head = `${pad}${n.name}`;
    if (n.kind !== "INTERNAL") head += ` [${n.kind}]`;
    if (n.status.code !== "UNSET") {
      head += ` status=${n.status.code}`;
      if (n.status.message) head += ` ${JSON.stringify(n.status.message)}`;
    }
    lines.push(head);
    if (options.attributes !== false) {
      for (const k of Object.keys(n.attributes).sort()) {
        const v = volatile.includes(k) ? `<${k}>` : formatValue(n.attributes[k], ids);
        lines.push(`${pad}  @ ${k}=${v}`);
      }
    }
    if (options.events !== false) {
      for (const e of n.events) {
        const attrs = formatAttributes(e.attributes, ids, volatile);
        lines.push(`${pad}  ! ${e.name}${attrs ? ` {${attrs}}` : ""}`);
      }
    }
    if (options.links !== false) {
      for (const l of n.links) {
        const target =
          ids.spans.get(l.spanId) ??
          (ids.traces.has(l.traceId)
            ? `${ids.traces.get(l.traceId)} <span not captured>`
            : "<outside the capture>");
        const attrs = formatAttributes(l.attributes, ids, volatile);
        lines.push(`${pad}  ~> ${target}${attrs ? ` {${attrs}}` : ""}`);
      }
    }
    for (const c of n.children) visit(c, depth + 1);
  };
  let lastTrace: string | undefined;
  for (const r of roots) {
    if (r.traceId !== lastTrace) {
      lastTrace = r.traceId;
      lines.push(`trace ${ids.traces.get(r.traceId)}`);
    }
    if (r.remoteParentSpanId !== undefined) lines.push("  (continues a remote parent)");
    visit(r, 1);
  }
  return lines.join("\n");
}
