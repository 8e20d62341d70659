import { parse as parseYaml } from "yaml";
import { REDACTED } from "../errors";
import { formatByteSize } from "../helpers/byte-size";
import { formatDuration } from "../helpers/duration";
import {
  acceptedTypes,
  childSchema,
  isPlainObject,
  itemSchema,
  KIND_KEY,
  keyword,
  objectShape,
  type SchemaNode,
  variants,
} from "./json-schema";

export interface RenderOptions {
  /** Column at which comments wrap. */
  readonly width: number;
  /** Written as a `yaml-language-server` modeline when set. */
  readonly schemaUrl?: string | undefined;
  /**
   * How secret values are written: `placeholder` (default YAML) writes `~` and a
   * comment saying where to set the value, `redacted` writes `[REDACTED]`.
   */
  readonly secrets: "placeholder" | "redacted";
}

/**
 * Renders a settings value as annotated YAML: `---` document start, each key
 * preceded by its description as `#` comments (paragraphs separated by a bare
 * `#`), declared keys in declaration order (absent ones as `~`), map entries
 * after them with the entry type's docs repeated inside each entry.
 *
 * `primary` is the value to show; `fallback` fills keys `primary` lacks (the
 * validated defaults, for fields whose default only the schema library knows).
 */
export function renderYaml(
  root: SchemaNode,
  primary: unknown,
  fallback: unknown,
  options: RenderOptions,
): string {
  const lines: string[] = [];
  if (options.schemaUrl !== undefined)
    lines.push(`# yaml-language-server: $schema=${options.schemaUrl}`);
  lines.push("---");
  const description = keyword(root, "description", root);
  if (typeof description === "string") {
    lines.push(...comment(description, 0, options.width), "");
  }
  const r = new Renderer(root, options.width, options.secrets, lines);
  r.body(root, primary, fallback, 0, []);
  return `${lines.join("\n")}\n`;
}

class Renderer {
  constructor(
    private readonly root: SchemaNode,
    private readonly width: number,
    private readonly secrets: RenderOptions["secrets"],
    private readonly lines: string[],
  ) {}

  body(
    node: SchemaNode | undefined,
    value: unknown,
    fallback: unknown,
    indent: number,
    path: readonly (string | number)[],
  ): void {
    const shape = objectShape(pick(node, value, this.root), this.root);
    const own = isPlainObject(value) ? value : {};
    const backup = isPlainObject(fallback) ? fallback : {};
    const keys = new Set<string>(shape.properties.keys());
    for (const key of Object.keys(own)) keys.add(key);
    for (const key of Object.keys(backup)) keys.add(key);
    for (const key of keys) {
      const declared = shape.properties.get(key);
      const child = declared ?? childSchema(node, key, this.root);
      const doc = keyword(child, "description", this.root);
      if (typeof doc === "string") this.lines.push(...comment(doc, indent, this.width));
      // A default the schema states in input form (`INFO`) reads better than the parsed one (`info`).
      const stated = keyword(child, "default", this.root);
      const v = Object.hasOwn(own, key)
        ? own[key]
        : Object.hasOwn(backup, key) && stated !== undefined
          ? stated
          : plain(backup[key]);
      const fb = Object.hasOwn(backup, key) ? backup[key] : undefined;
      const keyPath = [...path, key];
      // `~` drops an optional key, so its default applies: the one placeholder that loads back.
      const droppable =
        declared !== undefined &&
        !shape.required.has(key) &&
        !(acceptedTypes(child, this.root)?.has("null") ?? true);
      if (this.secrets === "placeholder" && droppable && this.holdsSecrets(child, v)) {
        const direct = keyword(child, KIND_KEY, this.root) === "secret";
        this.lines.push(...comment(whereToSet(keyPath, !direct), indent, this.width));
        this.lines.push(`${" ".repeat(indent)}${keyText(key)}: ~`);
        continue;
      }
      this.entry(keyText(key), child, v, fb, indent, keyPath);
    }
  }

  /**
   * Whether a default is, or holds inside a list or map, a secret value that
   * cannot get a placeholder of its own (objects with declared fields can: each
   * secret field gets one).
   */
  holdsSecrets(node: SchemaNode | undefined, value: unknown, depth = 0): boolean {
    const v = plain(value);
    if (v === undefined || v === null || depth > 32) return false;
    if (keyword(node, KIND_KEY, this.root) === "secret") return !isReference(v);
    if (Array.isArray(v)) {
      return v.some((item, i) => this.containsSecret(itemSchema(node, i, this.root), item, depth));
    }
    if (!isPlainObject(v)) return false;
    const shape = objectShape(pick(node, v, this.root), this.root);
    return Object.keys(v).some(
      (key) =>
        !shape.properties.has(key) &&
        this.containsSecret(childSchema(node, key, this.root), v[key], depth),
    );
  }

  /** Whether a value holds a secret anywhere. */
  containsSecret(node: SchemaNode | undefined, value: unknown, depth: number): boolean {
    const v = plain(value);
    if (v === undefined || v === null || depth > 32) return false;
    if (keyword(node, KIND_KEY, this.root) === "secret") return !isReference(v);
    if (Array.isArray(v)) {
      return v.some((item, i) =>
        this.containsSecret(itemSchema(node, i, this.root), item, depth + 1),
      );
    }
    if (!isPlainObject(v)) return false;
    return Object.keys(v).some((key) =>
      this.containsSecret(childSchema(node, key, this.root), v[key], depth + 1),
    );
  }

  entry(
    label: string,
    node: SchemaNode | undefined,
    value: unknown,
    fallback: unknown,
    indent: number,
    path: readonly (string | number)[],
  ): void {
    const pad = " ".repeat(indent);
    const v = plain(value);
    const hidden = this.secret(node, v, indent, path);
    if (hidden !== undefined) {
      this.lines.push(`${pad}${label}: ${hidden}`);
      return;
    }
    if (isPlainObject(v)) {
      const shape = objectShape(pick(node, v, this.root), this.root);
      if (shape.properties.size === 0 && Object.keys(v).length === 0) {
        this.lines.push(`${pad}${label}: {}`);
        return;
      }
      this.lines.push(`${pad}${label}:`);
      this.body(node, v, fallback, indent + 2, path);
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) {
        this.lines.push(`${pad}${label}: []`);
        return;
      }
      this.lines.push(`${pad}${label}:`);
      v.forEach((item, index) => {
        this.item(itemSchema(node, index, this.root), item, indent + 2, [...path, index]);
      });
      return;
    }
    this.lines.push(`${pad}${label}: ${scalar(v, node, this.root)}`);
  }

  item(
    node: SchemaNode | undefined,
    value: unknown,
    indent: number,
    path: readonly (string | number)[],
  ): void {
    const pad = " ".repeat(indent);
    const v = plain(value);
    const hidden = this.secret(node, v, indent, path);
    if (hidden !== undefined) {
      this.lines.push(`${pad}- ${hidden}`);
      return;
    }
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      const start = this.lines.length;
      this.body(node, v, undefined, indent + 2, path);
      // The first line of the entry moves up beside the dash.
      this.lines[start] = `${pad}- ${this.lines[start]!.slice(indent + 2)}`;
      return;
    }
    if (isPlainObject(v)) {
      this.lines.push(`${pad}- {}`);
      return;
    }
    if (Array.isArray(v)) {
      this.lines.push(`${pad}- ${flow(v, node, this.root)}`);
      return;
    }
    this.lines.push(`${pad}- ${scalar(v, node, this.root)}`);
  }

  /**
   * The text written instead of a secret's value, with a comment above it in
   * the default YAML; `undefined` for values that are not secrets (or not set).
   * References (`env:NAME`, `file:/path`) are not secret and are written as they are.
   */
  secret(
    node: SchemaNode | undefined,
    value: unknown,
    indent: number,
    path: readonly (string | number)[],
  ): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (keyword(node, KIND_KEY, this.root) !== "secret") return undefined;
    if (this.secrets === "redacted") return JSON.stringify(REDACTED);
    if (isReference(value)) return undefined;
    this.lines.push(...comment(whereToSet(path, false), indent, this.width));
    return "~";
  }
}

/** References name where a secret is read from; they are not secret themselves. */
function isReference(value: unknown): boolean {
  return typeof value === "string" && /^(env|file):/.test(value);
}

/** The comment written above a secret's placeholder in the default YAML. */
function whereToSet(path: readonly (string | number)[], holds: boolean): string {
  const dotted = path.every((p) => typeof p === "string") ? path.join(".") : undefined;
  const what = holds
    ? "Holds secrets: the default is not shown"
    : "Secret: the default is not shown";
  const it = holds ? "them" : "it";
  const set = dotted === undefined ? "" : ` or \`--set ${dotted}=…\``;
  return `${what} (\`~\` keeps it). Write \`env:NAME\` or \`file:/path\` here to read ${it} from an environment variable or a file, or set ${it} with an environment variable${set}.`;
}

/** The object variant a value most likely belongs to, so its docs are the ones shown. */
function pick(
  node: SchemaNode | undefined,
  value: unknown,
  root: SchemaNode,
): SchemaNode | undefined {
  if (!isPlainObject(value)) return node;
  const objects = variants(node, root).filter((v) => objectShape(v, root).isObject);
  if (objects.length <= 1) return node;
  const keys = Object.keys(value);
  return (
    objects.find((v) => {
      const shape = objectShape(v, root);
      return keys.every((k) => shape.properties.has(k) || shape.extra !== false);
    }) ?? node
  );
}

/** Reduces a value to what YAML can show: class instances become their JSON form. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value) || isPlainObject(value)) return value;
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  return typeof toJSON === "function" ? toJSON.call(value) : undefined;
}

function flow(value: readonly unknown[], node: SchemaNode | undefined, root: SchemaNode): string {
  const parts = value.map((item, index) => {
    const v = plain(item);
    const child = itemSchema(node, index, root);
    if (Array.isArray(v)) return flow(v, child, root);
    if (isPlainObject(v)) {
      return `{ ${Object.entries(v)
        .map(
          ([k, x]) =>
            `${JSON.stringify(k)}: ${Array.isArray(x) ? flow(x, undefined, root) : scalar(plain(x), undefined, root)}`,
        )
        .join(", ")} }`;
    }
    return scalar(v, child, root);
  });
  return `[${parts.join(", ")}]`;
}

function scalar(value: unknown, node: SchemaNode | undefined, root: SchemaNode): string {
  if (value === undefined || value === null) return "~";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    const kind = node === undefined ? undefined : keyword(node, KIND_KEY, root);
    if (kind === "duration" && value >= 0 && Number.isFinite(value))
      return text(formatDuration(value));
    if (kind === "byte-size" && Number.isSafeInteger(value) && value >= 0)
      return text(formatByteSize(value));
    return number(value, node, root);
  }
  if (typeof value === "string") return text(value);
  return JSON.stringify(String(value));
}

function number(value: number, node: SchemaNode | undefined, root: SchemaNode): string {
  if (Number.isNaN(value)) return ".nan";
  if (value === Number.POSITIVE_INFINITY) return ".inf";
  if (value === Number.NEGATIVE_INFINITY) return "-.inf";
  if (Object.is(value, -0)) return "-0.0";
  const types = node === undefined ? undefined : acceptedTypes(node, root);
  const text = String(value);
  // A float field shows `1.0`, as a reader expects of a ratio.
  const isFloatField = types?.has("number") === true && !isIntegerOnly(node, root);
  if (isFloatField && Number.isInteger(value) && !/e/i.test(text)) return `${text}.0`;
  return text;
}

function isIntegerOnly(node: SchemaNode | undefined, root: SchemaNode): boolean {
  return variants(node, root).some(
    (v) => v.type === "integer" || (Array.isArray(v.type) && v.type.includes("integer")),
  );
}

const PLAIN = /^[A-Za-z0-9_/][A-Za-z0-9_./-]*$/;

/** A string as a plain scalar when that reads back identically, else double-quoted. */
function text(value: string): string {
  if (PLAIN.test(value) && value.length <= 200) {
    try {
      if (parseYaml(value) === value) return value;
    } catch {
      // fall through to quoting
    }
  }
  return JSON.stringify(value);
}

function keyText(key: string): string {
  return text(key);
}

/** Description text as `#` lines, wrapped, paragraphs separated by a bare `#`. */
export function comment(doc: string, indent: number, width: number): string[] {
  const pad = " ".repeat(indent);
  const room = Math.max(40, width - indent - 2);
  const out: string[] = [];
  const paragraphs = doc
    .replace(/\r\n?/g, "\n")
    // Comments may hold printable characters only.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufeff\ufffe\uffff]/g, " ")
    .trim()
    .split(/\n[ \t]*\n/);
  paragraphs.forEach((paragraph, i) => {
    if (i > 0) out.push(`${pad}#`);
    for (const line of paragraph.split("\n")) {
      for (const wrapped of wrap(line.trimEnd(), room)) {
        out.push(wrapped === "" ? `${pad}#` : `${pad}# ${wrapped}`);
      }
    }
  });
  return out;
}

function wrap(line: string, room: number): string[] {
  if (line.length <= room) return [line];
  const indentMatch = /^\s*/.exec(line)![0];
  const words = line.trim().split(/\s+/);
  const out: string[] = [];
  let current = indentMatch;
  for (const word of words) {
    if (current.trim() !== "" && current.length + 1 + word.length > room) {
      out.push(current);
      current = indentMatch + word;
    } else {
      current = current.trim() === "" ? indentMatch + word : `${current} ${word}`;
    }
  }
  if (current.trim() !== "") out.push(current);
  return out;
}
