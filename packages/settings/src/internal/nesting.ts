import { CST, Lexer } from "yaml";

/** Where a document first nests deeper than allowed. */
export interface TooDeep {
  /** Offset in the text of the token that went too deep. */
  readonly offset: number;
}

/**
 * Estimates how deeply a YAML text nests, before anything recursive sees it.
 *
 * The `yaml` parser composes nodes recursively, so a document of 20,000 `[`
 * (or `- - - …`) exhausts the stack, and V8 may abort the whole process on a
 * later parse. The lexer is iterative, so its tokens are walked here in one
 * linear pass: flow collections count exactly (brackets inside quoted scalars,
 * comments and block scalars are single tokens and never counted); block
 * collections are counted by indentation, one level per column that is deeper
 * than the enclosing one, and one per compact indicator (`- - x`, `? - x`).
 *
 * The estimate is at most one level above the real depth, and never below
 * half of it (a block sequence may sit at its parent key's column), so
 * rejecting an estimate above `limit` bounds the real depth to about
 * `2 × limit` while never refusing a document the precise check accepts.
 *
 * @returns the first token past the limit, or `undefined` when the text is shallow enough
 */
export function exceedsNesting(text: string, limit: number): TooDeep | undefined {
  // Columns of the open block collections, innermost last.
  const columns: number[] = [];
  let flow = 0;
  let offset = 0;
  let column = 0;
  // At the start of a line, or right after `-`, `?` or `:`: the next content is a node.
  let opensNode = true;
  let lineStart = true;
  // Column of block content that becomes a mapping key if `:` follows it.
  let pending = -1;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    // The lexer's markers for documents, scalars and flow errors are not in the text.
    if (type === "doc-mode" || type === "scalar" || type === "flow-error-end") continue;
    const start = offset;
    const startColumn = column;
    offset += token.length;
    const newline = token.lastIndexOf("\n");
    column = newline === -1 ? column + token.length : token.length - newline - 1;
    switch (type) {
      case "space":
        // A block scalar's content is one token; the line after it starts afresh.
        if (newline !== -1) opensNode = lineStart = true;
        continue;
      case "newline":
        opensNode = lineStart = true;
        pending = -1;
        continue;
      case "comment":
      case "byte-order-mark":
      case "anchor":
      case "tag":
        // Comments and node properties: the node itself comes next.
        continue;
      case "doc-start":
      case "doc-end":
        columns.length = 0;
        flow = 0;
        opensNode = lineStart = true;
        pending = -1;
        continue;
      case "flow-map-end":
      case "flow-seq-end":
        if (flow > 0) flow--;
        pending = -1;
        continue;
    }
    if (flow === 0) {
      if (type === "seq-item-ind" || type === "explicit-key-ind") {
        place(columns, startColumn);
        opensNode = true;
        lineStart = false;
        pending = -1;
        if (columns.length > limit) return { offset: start };
        continue;
      }
      if (type === "map-value-ind") {
        if (pending !== -1) place(columns, pending);
        opensNode = true;
        lineStart = false;
        pending = -1;
        if (columns.length > limit) return { offset: start };
        continue;
      }
      if (opensNode) {
        // A value on a line of its own closes the deeper collections before it.
        if (lineStart) close(columns, startColumn);
        pending = startColumn;
      } else pending = -1;
    }
    opensNode = lineStart = false;
    if (type === "flow-map-start" || type === "flow-seq-start") {
      flow++;
      if (flow + columns.length > limit) return { offset: start };
    }
  }
  return undefined;
}

/** Closes the block collections deeper than `column`. */
function close(columns: number[], column: number): void {
  while (columns.length > 0 && columns[columns.length - 1]! > column) columns.pop();
}

/** Closes the block collections deeper than `column`, then opens one at it unless one is open there. */
function place(columns: number[], column: number): void {
  close(columns, column);
  if (columns.length === 0 || columns[columns.length - 1]! < column) columns.push(column);
}
