import { isAlias, isMap, isScalar, isSeq, type Node } from "yaml";
import type { SecretSpan } from "../errors";
import { childSchema, itemSchema, KIND_KEY, keyword, type SchemaNode } from "./json-schema";

/** A `[start, end)` range of offsets in a source text. */
export type Span = SecretSpan;

/**
 * Where a document writes secret values, so that error frames never print them.
 *
 * In a document that parsed cleanly, these are the nodes the schema marks as
 * secrets (`secret()`, maps of secrets), whatever their type. In a document with
 * YAML errors the structure may be wrong (a tab-indented key lands at the top
 * level, a duplicate key has two values), so when the schema declares any secret
 * every value in the document is hidden.
 *
 * @param contents - the parsed document's root node
 * @param root - the settings' JSON Schema
 * @param malformed - whether the document had YAML errors
 * @returns the ranges to hide, in no particular order
 */
export function secretSpans(contents: Node | null, root: SchemaNode, malformed: boolean): Span[] {
  const spans: Span[] = [];
  const everyValue = malformed && declaresSecrets(root);
  const visit = (node: Node | null, schema: SchemaNode | undefined): void => {
    if (node === null || isAlias(node) || node.range === undefined || node.range === null) return;
    if (everyValue ? isScalar(node) : keyword(schema, KIND_KEY, root) === "secret") {
      spans.push([node.range[0], node.range[1]]);
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const child = key === undefined ? undefined : childSchema(schema, key, root);
        visit(pair.value as Node | null, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item as Node | null, itemSchema(schema, index, root));
      });
    }
  };
  visit(contents, root);
  return spans;
}

const declaring = new WeakMap<SchemaNode, boolean>();

/** Whether any field of the schema is a secret. */
export function declaresSecrets(root: SchemaNode): boolean {
  let found = declaring.get(root);
  if (found === undefined) {
    found = JSON.stringify(root).includes(`"${KIND_KEY}":"secret"`);
    declaring.set(root, found);
  }
  return found;
}
