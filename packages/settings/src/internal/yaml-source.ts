import { exceedsUtf8Bytes } from "@groundwork/platform";
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { SettingsIssue, SettingsSource } from "../errors";
import type { SchemaNode } from "./json-schema";
import { exceedsNesting } from "./nesting";
import type { Prov } from "./provenance";
import { declaresSecrets, type Span, secretSpans } from "./secret-spans";

/** Bounds that keep hostile input from costing more than a small, fixed amount. */
export interface Limits {
  readonly maxBytes: number;
  readonly maxAliasCount: number;
  readonly maxDepth: number;
}

/** Keys that could reach `Object.prototype` through naive merging in user code. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

export interface ParsedSource {
  /** The document's value; `undefined` when there are issues. */
  readonly value: Record<string, unknown> | undefined;
  readonly prov: Prov;
  readonly issues: SettingsIssue[];
  /** Ranges of the text holding secret values, hidden in error frames. */
  readonly secrets: readonly Span[];
}

/**
 * Parses one YAML document into a plain value plus the position of every key
 * and value. Anything unsafe (oversized text, alias bombs, prototype keys,
 * non-finite numbers, excessive nesting) becomes an issue and no value.
 */
export function parseYamlSource(
  text: string,
  file: string,
  limits: Limits,
  options: {
    readonly anyRoot?: boolean;
    /** The settings' JSON Schema, to find where secrets are written. */
    readonly root?: SchemaNode;
  } = {},
): ParsedSource {
  // Text that was never parsed may hold secrets anywhere: it is hidden whole.
  const unread: readonly Span[] =
    options.root !== undefined && declaresSecrets(options.root) ? [[0, text.length]] : [];
  const fail = (issue: SettingsIssue, secrets = unread): ParsedSource => ({
    value: undefined,
    prov: {},
    issues: [issue],
    secrets,
  });
  if (exceedsUtf8Bytes(text, limits.maxBytes)) {
    return fail({
      code: "too_large",
      path: [],
      message: `${file} is larger than the limit of ${limits.maxBytes} bytes`,
    });
  }
  const lines = new LineCounter();
  const at = (offset: number): SettingsSource => {
    const { line, col } = lines.linePos(offset);
    return { kind: "file", file, line, column: col };
  };
  // Before the parser, which recurses on nesting: no input may exhaust the stack.
  const tooDeep = exceedsNesting(text, limits.maxDepth + 1);
  if (tooDeep) {
    return fail({
      code: "too_deep",
      path: [],
      message: `nesting deeper than ${limits.maxDepth} levels`,
      source: { kind: "file", file, ...positionAt(text, tooDeep.offset) },
    });
  }
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      version: "1.2",
      schema: "core",
      merge: false,
      // Problems are returned as issues; the library must not write to the console.
      logLevel: "error",
    });
  } catch (err) {
    // Not expected after the nesting check; kept so a parser defect is still a settings error.
    return fail({
      code: "yaml",
      path: [],
      message: `${file} could not be parsed: ${errorMessage(err)}`,
    });
  }
  const malformed = doc.errors.length > 0;
  const secrets =
    options.root === undefined ? [] : secretSpans(doc.contents, options.root, malformed);
  if (malformed) {
    return {
      value: undefined,
      prov: {},
      issues: doc.errors.map((e) => ({
        code: "yaml",
        path: [],
        message: `malformed YAML: ${e.message}`,
        source: at(e.pos[0]),
      })),
      secrets,
    };
  }
  const issues: SettingsIssue[] = [];
  const root = doc.contents;
  if (options.anyRoot !== true && (root === null || (isScalar(root) && root.value === null))) {
    return { value: {}, prov: { src: at(0) }, issues, secrets };
  }
  if (options.anyRoot !== true && !isMap(root)) {
    return fail(
      {
        code: "yaml",
        path: [],
        message: "the document must be a mapping of keys to values",
        source: at(root?.range?.[0] ?? 0),
      },
      secrets,
    );
  }
  const prov = root === null ? {} : inspect(root, [], 0, at, limits, issues);
  if (issues.length > 0) return { value: undefined, prov, issues, secrets };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    if (options.anyRoot === true)
      return { value: { value } as Record<string, unknown>, prov, issues, secrets };
  } catch (err) {
    const aliasBomb = err instanceof ReferenceError || /alias/i.test(errorMessage(err));
    return fail(
      {
        code: aliasBomb ? "alias_limit" : "yaml",
        path: [],
        message: aliasBomb
          ? `too many alias expansions (the limit is ${limits.maxAliasCount}); anchors and aliases that multiply data are refused`
          : `malformed YAML: ${errorMessage(err)}`,
        source: at(0),
      },
      secrets,
    );
  }
  return { value: value as Record<string, unknown>, prov, issues, secrets };
}

function inspect(
  node: Node,
  path: (string | number)[],
  depth: number,
  at: (offset: number) => SettingsSource,
  limits: Limits,
  issues: SettingsIssue[],
): Prov {
  const prov: Prov = { src: at(node.range?.[0] ?? 0) };
  if (depth > limits.maxDepth) {
    issues.push({
      code: "too_deep",
      path: [...path],
      message: `nesting deeper than ${limits.maxDepth} levels`,
      ...(prov.src ? { source: prov.src } : {}),
    });
    return prov;
  }
  if (isAlias(node)) return prov;
  if (isScalar(node)) {
    if (typeof node.value === "number" && !Number.isFinite(node.value)) {
      issues.push({
        code: "non_finite",
        path: [...path],
        message: `${String(node.source ?? node.value)} is not a finite number`,
        expected: "a finite number",
        received: String(node.source ?? node.value),
        ...(prov.src ? { source: prov.src } : {}),
      });
    }
    return prov;
  }
  if (isMap(node)) {
    prov.kids = new Map();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keySrc = at(keyNode?.range?.[0] ?? node.range?.[0] ?? 0);
      if (keyNode !== null && !isScalar(keyNode)) {
        issues.push({
          code: "yaml",
          path: [...path],
          message: "keys must be plain strings, not mappings or lists",
          source: keySrc,
        });
        continue;
      }
      const raw = keyNode === null ? null : keyNode.value;
      const key = raw === null ? "" : String(raw);
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({
          code: "forbidden_key",
          path: [...path, key],
          message: `the key "${key}" is not allowed in settings`,
          source: keySrc,
        });
        continue;
      }
      const valueNode = pair.value as Node | null;
      const child: Prov = valueNode
        ? inspect(valueNode, [...path, key], depth + 1, at, limits, issues)
        : { src: keySrc };
      child.keySrc = keySrc;
      prov.kids.set(key, child);
    }
    return prov;
  }
  if (isSeq(node)) {
    prov.kids = new Map();
    node.items.forEach((item, index) => {
      if (item === null || typeof item !== "object") return;
      prov.kids!.set(
        String(index),
        inspect(item as Node, [...path, index], depth + 1, at, limits, issues),
      );
    });
  }
  return prov;
}

/** 1-based line and column of an offset, for text the parser has not seen. */
function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
