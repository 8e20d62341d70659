import { type SecretSpan, SettingsError, type SettingsIssue, SOURCE_CODES } from "./errors";
import { toSettingsIssue } from "./internal/issues";
import { clonePlain, isPlainObject, type SchemaNode } from "./internal/json-schema";
import { argsLayer, envLayer, type Layer, merge, skeleton } from "./internal/layers";
import { preflight, type Reference } from "./internal/preflight";
import { lookup, type Prov } from "./internal/provenance";
import { renderYaml } from "./internal/render";

import type { InferOutput, StandardResult, StandardSchema } from "./internal/standard";
import { exceedsSize, type Limits, parseYamlSource } from "./internal/yaml-source";

export type {
  InferOutput,
  StandardIssue,
  StandardResult,
  StandardSchema,
} from "./internal/standard";

/** A JSON Schema document (draft 2020-12 or draft-07) as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Bounds applied to every source. */
export interface SettingsLimits {
  /** Largest file, text or single value accepted, in bytes. Default 1 MiB. */
  readonly maxBytes?: number;
  /** YAML alias expansions allowed per document (see the `yaml` package). Default 100. */
  readonly maxAliasCount?: number;
  /** Deepest nesting of mappings and lists, at most 256 (deeper input is refused before it is parsed). Default 64. */
  readonly maxDepth?: number;
}

/** Options of {@link defineSettings}. */
export interface DefineSettingsOptions {
  /**
   * JSON Schema of the settings' input, for libraries that do not implement
   * Standard JSON Schema (e.g. valibot's `toJsonSchema(schema)`). Default: taken
   * from `schema["~standard"].jsonSchema.input()` (zod 4 provides it).
   */
  // `object`, not JsonSchema: libraries declare their JSON Schema types as interfaces without index signatures.
  readonly jsonSchema?: object | (() => object);
  /** What to do with keys the schema does not declare. Default `"error"`. */
  readonly unknownKeys?: "error" | "ignore";
  /** Size, alias and depth limits. */
  readonly limits?: SettingsLimits;
}

/** Options of {@link Settings.defaultYaml} and {@link Settings.toYaml}. */
export interface YamlOptions {
  /** Adds `# yaml-language-server: $schema=<url>` so editors complete and check keys. Default none. */
  readonly schemaUrl?: string;
  /** Column at which comments wrap. Default 80. */
  readonly width?: number;
}

/** Reading settings from environment variables. */
export interface EnvOptions {
  /** Only variables starting with this are read, e.g. `"APP_"`. */
  readonly prefix: string;
  /** Separates nested keys in a variable name. Default `"__"`. */
  readonly separator?: string;
}

/** A YAML document given as text rather than a path. */
export interface SettingsText {
  /** Name used in error locations. */
  readonly name: string;
  /** The YAML text. */
  readonly text: string;
}

/**
 * Reads a file as UTF-8 text. It may stop after `maxBytes + 1` bytes: the
 * caller rejects anything larger anyway.
 */
export type ReadFile = (path: string, options: { readonly maxBytes: number }) => Promise<string>;

/** Options of {@link Settings.parse}. */
export interface ParseOptions {
  /** Name of the text in error locations. Default `"<input>"`. */
  readonly name?: string;
  /** Read overrides from environment variables. Default: not read. */
  readonly env?: EnvOptions;
  /** Command-line arguments; `--set key.path=value` entries are applied, others ignored. */
  readonly args?: readonly string[];
  /**
   * Variables for `env` and `env:NAME` references. Default `process.env` where
   * the runtime has one, else none.
   */
  readonly vars?: Readonly<Record<string, string | undefined>>;
}

/** Options of {@link Settings.load}. */
export interface LoadOptions extends Omit<ParseOptions, "name"> {
  /** YAML files merged in order over the defaults; paths or `{ name, text }`. Default none. */
  readonly files?: readonly (string | SettingsText)[];
  /**
   * Reads files and `file:` references. Default: `node:fs` where the runtime
   * provides it through `process.getBuiltinModule` (Node ≥ 20.16), else none.
   */
  readonly readFile?: ReadFile;
}

/** A settings definition: defaults, docs, schema and loaders for one schema. */
export interface Settings<T> {
  /** The schema the settings were defined with. */
  readonly schema: StandardSchema<unknown, T>;
  /**
   * JSON Schema of the settings file, for editor completion and validation.
   *
   * @returns a fresh copy each call
   */
  jsonSchema(): JsonSchema;
  /**
   * The settings when nothing is configured.
   *
   * @returns the validated defaults
   * @throws {@link SettingsError} when a required field has no default
   */
  defaults(): T;
  /**
   * The default settings as annotated YAML: every key preceded by its
   * description, optional keys without a value shown as `~`.
   *
   * @param options - `schemaUrl` (default none), `width` (default 80)
   * @returns YAML text that loads back to exactly {@link Settings.defaults}
   */
  defaultYaml(options?: YamlOptions): string;
  /**
   * Annotated YAML of a settings value (secrets shown as `[REDACTED]`).
   *
   * @param value - a value produced by this definition
   * @param options - as for {@link Settings.defaultYaml}
   * @returns YAML text
   */
  toYaml(value: T, options?: YamlOptions): string;
  /**
   * Validates YAML text or a plain object, merged over the defaults.
   * Synchronous; `file:` references need {@link Settings.load}.
   *
   * @param input - YAML text or an object
   * @param options - `name`, `env`, `args`, `vars`
   * @returns the validated settings
   * @throws {@link SettingsError} listing every problem
   */
  parse(input: string | Readonly<Record<string, unknown>>, options?: ParseOptions): T;
  /**
   * Loads settings: defaults ← files in order ← environment ← `--set` arguments.
   *
   * @param options - `files`, `env`, `args`, `vars`, `readFile`
   * @returns the validated settings
   * @throws {@link SettingsError} listing every problem
   */
  load(options?: LoadOptions): Promise<T>;
}

const BRAND = Symbol.for("groundwork.settings");

/**
 * Whether a value is a {@link Settings} definition (from any copy of this package).
 *
 * @param value - anything
 * @returns true for objects made by {@link defineSettings}
 * @example
 * ```ts
 * const found = Object.values(await import("./settings.js")).find(isSettings);
 * ```
 */
export function isSettings(value: unknown): value is Settings<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/**
 * Defines settings from a schema: zod 4 directly, or any Standard Schema with a
 * JSON Schema of its input (pass it as `options.jsonSchema`).
 *
 * @param schema - the settings schema; descriptions become YAML comments
 * @param options - `jsonSchema` (default from the schema), `unknownKeys` (default `"error"`), `limits`
 * @returns the settings definition
 * @throws {@link SettingsError} with code `ERR_SETTINGS_SCHEMA` when no JSON Schema can be obtained
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineSettings, socketAddr, telemetrySettings } from "@groundwork/settings";
 *
 * const Settings = defineSettings(
 *   z.object({
 *     http: z.object({ addr: socketAddr().default("127.0.0.1:8080").describe("Address to listen on.") }),
 *     telemetry: telemetrySettings,
 *   }),
 * );
 * const settings = Settings.parse("http:\n  addr: 0.0.0.0:80\n");
 * ```
 */
export function defineSettings<S extends StandardSchema>(
  schema: S,
  options: DefineSettingsOptions = {},
): Settings<InferOutput<S>> {
  type T = InferOutput<S>;
  const limits: Limits = {
    maxBytes: limit("maxBytes", options.limits?.maxBytes, 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    maxAliasCount: limit("maxAliasCount", options.limits?.maxAliasCount, 100, 0, 100_000),
    // Past a few hundred levels the YAML parser's recursion could exhaust the stack.
    maxDepth: limit("maxDepth", options.limits?.maxDepth, 64, 1, MAX_DEPTH),
  };
  const reportUnknown = options.unknownKeys !== "ignore";
  const root = obtainJsonSchema(schema, options.jsonSchema);

  const validate = (value: unknown): StandardResult<T> | Promise<StandardResult<T>> => {
    try {
      const result = schema["~standard"].validate(value) as
        | StandardResult<T>
        | Promise<StandardResult<T>>;
      return result instanceof Promise ? result.catch(thrownByValidation) : result;
    } catch (err) {
      return thrownByValidation(err);
    }
  };

  let skeletonValue: Record<string, unknown> | undefined;
  // Each load mutates its copy (dropping `~`, resolving references), so it gets a fresh one.
  const base = (): Layer => {
    skeletonValue ??= skeleton(root, root);
    return { value: clonePlain(skeletonValue) as Record<string, unknown>, prov: {} };
  };

  const finish = (
    result: StandardResult<T>,
    layer: Layer,
    sources: Sources,
    earlier: readonly SettingsIssue[] = [],
  ): T => {
    const found = [
      ...earlier,
      ...(result.issues ?? []).map((i) => toSettingsIssue(i, layer.value, root, layer.prov)),
    ];
    if (found.length > 0) throw sourcesError(found, sources);
    return (result as { value: T }).value;
  };

  // Computed each time: callers may mutate what they get.
  const defaults = (): T => {
    const layer = base();
    const result = validate(layer.value);
    if (result instanceof Promise) throw asyncError();
    return finish(result, layer, { texts: new Map(), secrets: new Map() });
  };

  /** Layers → one checked value, or a thrown error with every issue found so far. */
  const assemble = (layers: readonly Layer[], issues: SettingsIssue[], sources: Sources) => {
    let merged = base();
    for (const layer of layers) merged = merge(merged, layer);
    const refs = preflight(merged.value, root, merged.prov, reportUnknown, limits.maxDepth, issues);
    // Unsafe or unreadable input stops here. Otherwise (unknown keys were
    // dropped) the schema still runs, so all problems are reported together.
    if (issues.some((i) => SOURCE_CODES.has(i.code))) throw sourcesError(issues, sources);
    return { merged, refs };
  };

  const overrideLayers = (options: ParseOptions, issues: SettingsIssue[]): Layer[] => [
    ...(options.env
      ? envLayer(
          {
            prefix: options.env.prefix,
            separator: options.env.separator ?? "__",
            vars: options.vars ?? processEnv(),
          },
          root,
          limits,
          reportUnknown,
          issues,
        )
      : []),
    ...(options.args ? argsLayer(options.args, root, limits, reportUnknown, issues) : []),
  ];

  const textLayer = (text: string, name: string, issues: SettingsIssue[], sources: Sources) => {
    const parsed = parseYamlSource(text, name, limits, { root });
    if (!exceedsSize(text, limits.maxBytes)) {
      sources.texts.set(name, text);
      sources.secrets.set(name, parsed.secrets);
    }
    issues.push(...parsed.issues);
    return parsed.value ? [{ value: parsed.value, prov: parsed.prov }] : [];
  };

  const objectLayer = (
    input: Readonly<Record<string, unknown>>,
    issues: SettingsIssue[],
  ): Layer[] => {
    try {
      return [
        { value: clonePlain(input, 0, limits.maxDepth) as Record<string, unknown>, prov: {} },
      ];
    } catch {
      issues.push({
        code: "too_deep",
        path: [],
        message: `nesting deeper than ${limits.maxDepth} levels`,
      });
      return [];
    }
  };

  const settings: Settings<T> & { readonly [BRAND]: true } = {
    [BRAND]: true,
    schema: schema as StandardSchema<unknown, T>,
    jsonSchema: () => JSON.parse(JSON.stringify(root)) as JsonSchema,
    defaults,
    defaultYaml: (yamlOptions = {}) =>
      renderYaml(root, base().value, defaults(), {
        width: yamlOptions.width ?? 80,
        schemaUrl: yamlOptions.schemaUrl,
        secrets: "placeholder",
      }),
    toYaml: (value, yamlOptions = {}) =>
      renderYaml(root, value, undefined, {
        width: yamlOptions.width ?? 80,
        schemaUrl: yamlOptions.schemaUrl,
        secrets: "redacted",
      }),
    parse(input, parseOptions = {}) {
      const issues: SettingsIssue[] = [];
      const sources: Sources = { texts: new Map(), secrets: new Map() };
      const name = parseOptions.name ?? "<input>";
      const layers: Layer[] =
        typeof input === "string"
          ? textLayer(input, name, issues, sources)
          : objectLayer(input, issues);
      layers.push(...overrideLayers(parseOptions, issues));
      const { merged, refs } = assemble(layers, issues, sources);
      const vars = parseOptions.vars ?? processEnv();
      for (const ref of refs) {
        if (ref.kind === "file") {
          issues.push(
            refIssue(ref, "file: references are read by load(), not parse()", merged.prov),
          );
        } else resolveEnvRef(ref, vars, merged.prov, issues);
      }
      if (issues.some((i) => SOURCE_CODES.has(i.code))) throw sourcesError(issues, sources);
      const result = validate(merged.value);
      if (result instanceof Promise) throw asyncError();
      return finish(result, merged, sources, issues);
    },
    async load(loadOptions = {}) {
      const issues: SettingsIssue[] = [];
      const sources: Sources = { texts: new Map(), secrets: new Map() };
      const layers: Layer[] = [];
      const readFile = loadOptions.readFile ?? builtinReadFile();
      for (const file of loadOptions.files ?? []) {
        if (typeof file !== "string") {
          layers.push(...textLayer(file.text, file.name, issues, sources));
          continue;
        }
        const text = await read(readFile, file, limits.maxBytes, issues, file);
        if (text !== undefined) layers.push(...textLayer(text, file, issues, sources));
      }
      layers.push(...overrideLayers(loadOptions, issues));
      const { merged, refs } = assemble(layers, issues, sources);
      const vars = loadOptions.vars ?? processEnv();
      for (const ref of refs) {
        if (ref.kind === "env") {
          resolveEnvRef(ref, vars, merged.prov, issues);
          continue;
        }
        const text = await read(readFile, ref.target, limits.maxBytes, issues, ref, merged.prov);
        if (text === undefined) continue;
        if (exceedsSize(text, limits.maxBytes)) {
          issues.push({
            ...refIssue(ref, `${ref.target} is larger than ${limits.maxBytes} bytes`, merged.prov),
            code: "too_large",
          });
          continue;
        }
        // Files written by editors and secret managers usually end with a newline that is not part of the value.
        setRef(ref, text.replace(/\r?\n$/, ""));
      }
      if (issues.some((i) => SOURCE_CODES.has(i.code))) throw sourcesError(issues, sources);
      return finish(await validate(merged.value), merged, sources, issues);
    },
  };
  return settings;
}

const MAX_DEPTH = 256;

function limit(
  name: string,
  given: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (given === undefined) return fallback;
  if (Number.isInteger(given) && given >= min && given <= max) return given;
  throw invalidOption(
    `limits.${name} must be an integer from ${min} to ${max}, got ${String(given)}`,
  );
}

function invalidOption(message: string): SettingsError {
  return new SettingsError([{ code: "invalid", path: [], message }], {
    code: "ERR_INVALID_OPTION",
  });
}

function obtainJsonSchema(
  schema: StandardSchema,
  given: DefineSettingsOptions["jsonSchema"],
): SchemaNode {
  let result: unknown;
  try {
    result =
      typeof given === "function"
        ? given()
        : (given ??
          schema["~standard"].jsonSchema?.input?.({
            target: "draft-2020-12",
            // Fields JSON Schema cannot describe (dates, class instances) become
            // "anything" for docs and editors; the schema still validates them.
            libraryOptions: { unrepresentable: "any" },
          }));
  } catch (err) {
    throw new SettingsError(
      [
        {
          code: "invalid",
          path: [],
          message: `the schema cannot be expressed as JSON Schema: ${String(err)}`,
        },
      ],
      { code: "ERR_SETTINGS_SCHEMA", cause: err },
    );
  }
  if (!isPlainObject(result)) {
    throw new SettingsError(
      [
        {
          code: "invalid",
          path: [],
          message:
            "no JSON Schema for these settings: pass options.jsonSchema (for example valibot's toJsonSchema(schema))",
        },
      ],
      { code: "ERR_SETTINGS_SCHEMA" },
    );
  }
  return result as SchemaNode;
}

/** The texts read in one load, kept to print source lines in errors, and where their secrets are. */
interface Sources {
  readonly texts: Map<string, string>;
  readonly secrets: Map<string, readonly SecretSpan[]>;
}

function sourcesError(issues: readonly SettingsIssue[], sources: Sources): SettingsError {
  return new SettingsError(sortIssues(issues, sources.texts), sources);
}

/** Orders issues as a reader scans the files: by file (in load order), line, column. */
function sortIssues(
  issues: readonly SettingsIssue[],
  texts: ReadonlyMap<string, string>,
): SettingsIssue[] {
  const order = [...texts.keys()];
  const rank = (i: SettingsIssue): [number, number, number] =>
    i.source?.kind === "file"
      ? [order.indexOf(i.source.file), i.source.line, i.source.column]
      : [Number.MAX_SAFE_INTEGER, 0, 0];
  return issues
    .map((issue, index) => ({ issue, index, key: rank(issue) }))
    .sort(
      (a, b) =>
        a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.index - b.index,
    )
    .map((x) => x.issue);
}

/** A schema whose transform or refinement throws still yields a SettingsError. */
function thrownByValidation<T>(err: unknown): StandardResult<T> {
  return { issues: [{ message: `the schema threw while validating: ${errorText(err)}` }] };
}

function asyncError(): SettingsError {
  return new SettingsError(
    [
      {
        code: "invalid",
        path: [],
        message:
          "the schema did not validate synchronously (it is asynchronous, or it threw); load() awaits it and reports the cause",
      },
    ],
    { code: "ERR_SETTINGS_SCHEMA" },
  );
}

function refIssue(ref: Reference, message: string, prov: Prov): SettingsIssue {
  const source = lookup(prov, ref.path);
  return { code: "reference", path: ref.path, message, ...(source ? { source } : {}) };
}

function setRef(ref: Reference, value: string): void {
  (ref.container as Record<string | number, unknown>)[ref.key] = value;
}

function resolveEnvRef(
  ref: Reference,
  vars: Readonly<Record<string, string | undefined>>,
  prov: Prov,
  issues: SettingsIssue[],
): void {
  const value = Object.hasOwn(vars, ref.target) ? vars[ref.target] : undefined;
  if (value === undefined) {
    issues.push(refIssue(ref, `environment variable ${ref.target} is not set`, prov));
    return;
  }
  setRef(ref, value);
}

async function read(
  readFile: ReadFile | undefined,
  path: string,
  maxBytes: number,
  issues: SettingsIssue[],
  origin: string | Reference,
  prov?: Prov,
): Promise<string | undefined> {
  const fail = (message: string) => {
    if (typeof origin === "string") issues.push({ code: "file", path: [], message });
    else issues.push({ ...refIssue(origin, message, prov ?? {}), code: "file" });
    return undefined;
  };
  if (!readFile) {
    return fail(`cannot read ${path}: this runtime has no file system; pass readFile or the text`);
  }
  try {
    return await readFile(path, { maxBytes });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : errorText(err);
    return fail(`cannot read ${path}: ${reason}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The part of `node:fs/promises` that {@link fsReadFile} uses. */
export interface FsLike {
  open(
    path: string,
    flags: string,
  ): Promise<{
    read(
      buffer: Uint8Array,
      offset: number,
      length: number,
      position: number,
    ): Promise<{ bytesRead: number }>;
    close(): Promise<void>;
  }>;
}

/**
 * A {@link ReadFile} over a `node:fs/promises`-shaped module that reads at most
 * `maxBytes + 1` bytes, so an oversized file costs no more than the limit.
 *
 * @param fs - `node:fs/promises` or an object with the same `open`
 * @returns a file reader
 * @example
 * ```ts
 * import * as fs from "node:fs/promises";
 * await Settings.load({ files: ["app.yaml"], readFile: fsReadFile(fs) });
 * ```
 */
export function fsReadFile(fs: FsLike): ReadFile {
  return async (path, { maxBytes }) => {
    const handle = await fs.open(path, "r");
    try {
      const buffer = new Uint8Array(maxBytes + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return new TextDecoderCtor().decode(buffer.subarray(0, filled));
    } finally {
      await handle.close();
    }
  };
}

const TextDecoderCtor = (
  globalThis as unknown as {
    TextDecoder: new () => { decode(bytes: Uint8Array): string };
  }
).TextDecoder;

interface MaybeProcess {
  readonly env?: Record<string, string | undefined>;
  readonly getBuiltinModule?: (id: string) => unknown;
}

function currentProcess(): MaybeProcess | undefined {
  return (globalThis as { process?: MaybeProcess }).process;
}

function processEnv(): Readonly<Record<string, string | undefined>> {
  return currentProcess()?.env ?? {};
}

function builtinReadFile(): ReadFile | undefined {
  try {
    const fs = currentProcess()?.getBuiltinModule?.("node:fs/promises") as FsLike | undefined;
    return fs && typeof fs.open === "function" ? fsReadFile(fs) : undefined;
  } catch {
    return undefined;
  }
}
