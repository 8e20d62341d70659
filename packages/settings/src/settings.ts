import type { StandardSchema } from "./internal/standard";
import type { ReadFile } from "./read-file";

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

/**
 * A settings definition: defaults, docs, schema and loaders for one schema.
 * Name the type of its values with {@link SettingsOf}.
 *
 * @typeParam T - the validated settings
 * @typeParam S - the schema, as given to `defineSettings`
 */
export interface Settings<T, S extends StandardSchema = StandardSchema<unknown, T>> {
  /** The schema the settings were defined with (`z.infer<typeof Settings.schema>` works for zod). */
  readonly schema: S;
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
   * description, optional keys without a value shown as `~`. A secret's default
   * is never written: it shows as `~` (which keeps it) under a comment saying
   * where to set the value.
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

/**
 * The type of the settings a definition yields: name it once, use it everywhere.
 *
 * @typeParam D - a definition made by `defineSettings`
 * @example
 * ```ts
 * import { defineSettings, type SettingsOf } from "@groundwork/settings";
 * import { z } from "zod";
 *
 * export const Settings = defineSettings(z.object({ port: z.number().default(8080) }));
 * export type AppSettings = SettingsOf<typeof Settings>; // { port: number }
 * ```
 */
export type SettingsOf<D extends Settings<unknown, StandardSchema>> =
  D extends Settings<infer T, StandardSchema> ? T : never;
