import type { SettingsIssue } from "../errors";
import {
  acceptedTypes,
  childSchema,
  INDIRECT_KEY,
  isPlainObject,
  itemSchema,
  keyword,
  objectShape,
  type SchemaNode,
} from "./json-schema";
import { lookup, type Prov } from "./provenance";
import { FORBIDDEN_KEYS } from "./yaml-source";

/** A string value to be replaced by the content it points at. */
export interface Reference {
  readonly container: Record<string, unknown> | unknown[];
  readonly key: string | number;
  readonly path: readonly (string | number)[];
  readonly kind: "env" | "file";
  readonly target: string;
}

const REFERENCE = /^(env|file|literal):([\s\S]*)$/;

/**
 * Checks the merged input before the schema sees it: prototype keys,
 * non-finite numbers, keys the schema does not declare; drops `~` on optional
 * keys that do not accept null (so `~` means "not set"); collects `env:`/`file:`
 * references in fields that allow them. Mutates `value` (a private copy).
 */
export function preflight(
  value: Record<string, unknown>,
  root: SchemaNode,
  prov: Prov,
  reportUnknown: boolean,
  maxDepth: number,
  issues: SettingsIssue[],
): Reference[] {
  const refs: Reference[] = [];
  const visit = (
    container: Record<string, unknown> | unknown[],
    key: string | number,
    node: SchemaNode | undefined,
    path: (string | number)[],
    depth: number,
  ) => {
    const current = (container as Record<string | number, unknown>)[key];
    if (depth > maxDepth + 1) {
      const source = lookup(prov, path);
      issues.push({
        code: "too_deep",
        path,
        message: `nesting deeper than ${maxDepth} levels`,
        ...(source ? { source } : {}),
      });
      return;
    }
    if (isPlainObject(current)) {
      const shape = node === undefined ? undefined : objectShape(node, root);
      for (const childKey of Object.keys(current)) {
        const childPath = [...path, childKey];
        if (FORBIDDEN_KEYS.has(childKey)) {
          const source = lookup(prov, childPath, true);
          issues.push({
            code: "forbidden_key",
            path: childPath,
            message: `the key "${childKey}" is not allowed in settings`,
            ...(source ? { source } : {}),
          });
          continue;
        }
        const child = node === undefined ? undefined : childSchema(node, childKey, root);
        if (child === undefined && shape?.isObject === true) {
          if (reportUnknown) {
            const source = lookup(prov, childPath, true);
            const hint = suggest(childKey, [...shape.properties.keys()]);
            issues.push({
              code: "unknown_key",
              path: childPath,
              message: `unknown key${hint ? `; did you mean "${hint}"?` : ""}`,
              ...(source ? { source } : {}),
            });
          }
          // Dropped so the schema can still report the remaining problems in the same run.
          delete current[childKey];
          continue;
        }
        if (
          current[childKey] === null &&
          shape !== undefined &&
          !shape.required.has(childKey) &&
          !(acceptedTypes(child, root)?.has("null") ?? true)
        ) {
          delete current[childKey];
          continue;
        }
        visit(current, childKey, child, childPath, depth + 1);
      }
      return;
    }
    if (Array.isArray(current)) {
      current.forEach((_, index) => {
        const child = node === undefined ? undefined : itemSchema(node, index, root);
        visit(current, index, child, [...path, index], depth + 1);
      });
      return;
    }
    if (typeof current === "number" && !Number.isFinite(current)) {
      const source = lookup(prov, path);
      issues.push({
        code: "non_finite",
        path,
        message: `${current} is not a finite number`,
        expected: "a finite number",
        received: String(current),
        ...(source ? { source } : {}),
      });
      return;
    }
    if (typeof current === "string" && keyword(node, INDIRECT_KEY, root) === true) {
      const match = REFERENCE.exec(current);
      if (!match) return;
      if (match[1] === "literal") {
        (container as Record<string | number, unknown>)[key] = match[2];
        return;
      }
      refs.push({ container, key, path, kind: match[1] as "env" | "file", target: match[2]! });
    }
  };
  const holder = { root: value };
  visit(holder, "root", root, [], 0);
  return refs;
}

/** The declared key closest to a misspelt one, if it is close enough to be a likely typo. */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of candidates) {
    if (key.length >= 3 && (candidate.startsWith(key) || key.startsWith(candidate)))
      return candidate;
    if (key.length >= 4 && distance(key, candidate.slice(0, key.length)) <= 1) return candidate;
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        prev[j]! + 1,
        next[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = next;
  }
  return prev[b.length]!;
}
