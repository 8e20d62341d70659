/**
 * A read-only view of the JSON Schema keywords this package understands. Every
 * schema library emits a slightly different dialect (draft-07 or 2020-12, `anyOf`
 * for nullables or `type` arrays); the helpers below normalise those differences
 * so the rest of the package can ask simple questions ("which keys may this
 * object have?", "does it accept null?").
 */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode | readonly SchemaNode[] | boolean;
  readonly prefixItems?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
  readonly oneOf?: readonly SchemaNode[];
  readonly allOf?: readonly SchemaNode[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly title?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, SchemaNode>>;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
  readonly "x-settings-kind"?: string;
  readonly "x-settings-indirect"?: boolean;
  readonly [keyword: string]: unknown;
}

/** Metadata key naming the value kind of a helper (`duration`, `secret`…). */
export const KIND_KEY = "x-settings-kind";
/** Metadata key marking a field whose value may be `env:NAME` or `file:/path`. */
export const INDIRECT_KEY = "x-settings-indirect";

export type JsonType = "string" | "number" | "integer" | "boolean" | "null" | "array" | "object";

const MAX_REF_DEPTH = 32;

/** Resolves local `$ref`s (`#`, `#/$defs/x`, `#/definitions/x`) against the root. */
export function deref(node: SchemaNode | undefined, root: SchemaNode): SchemaNode | undefined {
  let current = node;
  for (let i = 0; current?.$ref !== undefined && i < MAX_REF_DEPTH; i++) {
    const ref: string = current.$ref;
    if (ref === "#") {
      current = root;
      continue;
    }
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    if (!match) return undefined;
    const table = match[1] === "$defs" ? root.$defs : root.definitions;
    const name = decodeURIComponent(match[2]!.replace(/~1/g, "/").replace(/~0/g, "~"));
    const target = table && Object.hasOwn(table, name) ? table[name] : undefined;
    // A `$ref` node may carry its own description next to the reference.
    current =
      target && current.description !== undefined && target.description === undefined
        ? { ...target, description: current.description }
        : target;
  }
  return current;
}

/**
 * The alternatives a value may match: `anyOf`/`oneOf` branches flattened, each
 * dereferenced, with `allOf` parts folded into one node.
 */
export function variants(node: SchemaNode | undefined, root: SchemaNode): SchemaNode[] {
  if (node === undefined) return [];
  return cached(variantLists, root, node, () => computeVariants(node, root));
}

function computeVariants(node: SchemaNode, root: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [];
  const visit = (n: SchemaNode | undefined, depth: number) => {
    const resolved = deref(n, root);
    if (!resolved || depth > MAX_REF_DEPTH) return;
    const branches = resolved.anyOf ?? resolved.oneOf;
    if (branches) {
      for (const branch of branches) visit(branch, depth + 1);
      // Keywords next to `anyOf` (a `type` array, `properties`) still constrain.
      const { anyOf: _a, oneOf: _o, ...rest } = resolved;
      if (rest.type !== undefined || rest.properties !== undefined) out.push(rest);
      return;
    }
    if (resolved.allOf) {
      out.push(foldAllOf(resolved, root));
      return;
    }
    out.push(resolved);
  };
  visit(node, 0);
  return out;
}

function foldAllOf(node: SchemaNode, root: SchemaNode): SchemaNode {
  const { allOf, ...rest } = node;
  let properties: Record<string, SchemaNode> = { ...(rest.properties ?? {}) };
  let required: string[] = [...(rest.required ?? [])];
  let additionalProperties = rest.additionalProperties;
  let type = rest.type;
  for (const part of allOf ?? []) {
    for (const v of variants(part, root)) {
      properties = { ...properties, ...(v.properties ?? {}) };
      required = [...required, ...(v.required ?? [])];
      if (v.additionalProperties !== undefined) additionalProperties = v.additionalProperties;
      type ??= v.type;
    }
  }
  return {
    ...rest,
    ...(type !== undefined ? { type } : {}),
    properties,
    required,
    ...(additionalProperties !== undefined ? { additionalProperties } : {}),
  };
}

/** JSON types a node accepts, or `undefined` when it accepts anything. */
export function acceptedTypes(
  node: SchemaNode | undefined,
  root: SchemaNode,
): Set<JsonType> | undefined {
  const out = new Set<JsonType>();
  for (const v of variants(node, root)) {
    const own = typesOfNode(v);
    if (own === undefined) return undefined;
    for (const t of own) out.add(t);
  }
  return out.size === 0 ? undefined : out;
}

function typesOfNode(node: SchemaNode): JsonType[] | undefined {
  if (node.type !== undefined) {
    const list = (typeof node.type === "string" ? [node.type] : node.type) as JsonType[];
    return list.includes("integer") ? [...list, "number"] : list;
  }
  const fixed = node.enum ?? (node.const !== undefined ? [node.const] : undefined);
  if (fixed) return fixed.map(jsonTypeOf);
  if (node.properties !== undefined || node.additionalProperties !== undefined) return ["object"];
  if (node.items !== undefined || node.prefixItems !== undefined) return ["array"];
  if (node.not !== undefined) return [];
  return undefined;
}

/** The JSON type name of a JavaScript value. */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "boolean":
      return "boolean";
    default:
      return "object";
  }
}

/** Whether a value of this JSON type satisfies a set of accepted types. */
export function typeAccepted(accepted: Set<JsonType> | undefined, value: unknown): boolean {
  if (accepted === undefined) return true;
  const t = jsonTypeOf(value);
  return accepted.has(t) || (t === "integer" && accepted.has("number"));
}

/** What an object node allows: its declared properties and whether other keys are welcome. */
export interface ObjectShape {
  /** Declared properties in declaration order. */
  readonly properties: ReadonlyMap<string, SchemaNode>;
  /** Keys that must be present. */
  readonly required: ReadonlySet<string>;
  /** Schema for keys not in `properties` (maps), `true` for anything, `false` for none. */
  readonly extra: SchemaNode | boolean;
  /** True when at least one variant is an object. */
  readonly isObject: boolean;
}

// Loading asks the same questions of the same schema nodes on every call; the
// answers depend only on the (immutable) schema, so they are kept per root.
const shapes = new WeakMap<SchemaNode, WeakMap<SchemaNode, ObjectShape>>();
const variantLists = new WeakMap<SchemaNode, WeakMap<SchemaNode, SchemaNode[]>>();

function cached<V>(
  store: WeakMap<SchemaNode, WeakMap<SchemaNode, V>>,
  root: SchemaNode,
  node: SchemaNode,
  compute: () => V,
): V {
  let perRoot = store.get(root);
  if (!perRoot) {
    perRoot = new WeakMap();
    store.set(root, perRoot);
  }
  let value = perRoot.get(node);
  if (value === undefined) {
    value = compute();
    perRoot.set(node, value);
  }
  return value;
}

/** Merges the object variants of a node into one shape. */
export function objectShape(node: SchemaNode | undefined, root: SchemaNode): ObjectShape {
  if (node === undefined) return computeShape(node, root);
  return cached(shapes, root, node, () => computeShape(node, root));
}

function computeShape(node: SchemaNode | undefined, root: SchemaNode): ObjectShape {
  const properties = new Map<string, SchemaNode>();
  const required = new Set<string>();
  let extra: SchemaNode | boolean = false;
  let isObject = false;
  const all = variants(node, root);
  if (all.length === 0) return { properties, required, extra: true, isObject: false };
  for (const v of all) {
    const types = typesOfNode(v);
    if (types !== undefined && !types.includes("object")) continue;
    isObject = true;
    if (types === undefined && v.properties === undefined) extra = true;
    for (const [key, child] of Object.entries(v.properties ?? {})) {
      if (!properties.has(key)) properties.set(key, child);
    }
    for (const key of v.required ?? []) required.add(key);
    const add = v.additionalProperties;
    if (add === true || (typeof add === "object" && Object.keys(add).length === 0)) extra = true;
    else if (typeof add === "object" && extra !== true) extra = add;
    else if (add === undefined && v.properties === undefined && v.patternProperties === undefined)
      extra = true;
    if (v.patternProperties && extra === false) {
      const first = Object.values(v.patternProperties)[0];
      extra = first ?? true;
    }
  }
  return { properties, required, extra, isObject };
}

/** The schema for `key` inside an object node; `undefined` when the key is not allowed. */
export function childSchema(
  node: SchemaNode | undefined,
  key: string,
  root: SchemaNode,
): SchemaNode | undefined {
  const shape = objectShape(node, root);
  const declared = shape.properties.get(key);
  if (declared !== undefined) return declared;
  if (shape.extra === true) return {};
  if (shape.extra === false) return undefined;
  return shape.extra;
}

/** The schema for element `index` of an array node. */
export function itemSchema(
  node: SchemaNode | undefined,
  index: number,
  root: SchemaNode,
): SchemaNode {
  for (const v of variants(node, root)) {
    if (v.prefixItems && index < v.prefixItems.length) return v.prefixItems[index]!;
    if (Array.isArray(v.items)) {
      const item = (v.items as readonly SchemaNode[])[index];
      if (item) return item;
    } else if (typeof v.items === "object") return v.items as SchemaNode;
  }
  return {};
}

/** Reads a keyword from the node or, failing that, from its first variant that has it. */
export function keyword<K extends keyof SchemaNode>(
  node: SchemaNode | undefined,
  key: K,
  root: SchemaNode,
): SchemaNode[K] | undefined {
  const direct = deref(node, root);
  if (direct?.[key] !== undefined) return direct[key];
  for (const v of variants(node, root)) {
    if (v[key] !== undefined) return v[key];
  }
  return undefined;
}

/** Whether a value is a plain object (not an array, class instance or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies JSON-like data. Keys are defined rather than assigned so a `__proto__`
 * key stays an ordinary key (and is then reported, not obeyed).
 */
export function clonePlain(value: unknown, depth = 0, maxDepth = 256): unknown {
  if (depth > maxDepth) throw new RangeError("value nested too deeply");
  if (Array.isArray(value)) return value.map((v) => clonePlain(v, depth + 1, maxDepth));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: clonePlain(value[key], depth + 1, maxDepth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
