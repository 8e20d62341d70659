import { SettingsError } from "./errors";
import { Pipeline } from "./internal/pipeline";
import { renderYaml } from "./internal/render";
import { obtainJsonSchema } from "./internal/schema-source";
import type { InferOutput, StandardSchema } from "./internal/standard";
import type { Limits } from "./internal/yaml-source";
import { runtimeReadFile } from "./read-file";
import type { DefineSettingsOptions, JsonSchema, Settings, YamlOptions } from "./settings";

const BRAND = Symbol.for("groundwork.settings");

/** Past a few hundred levels the YAML parser's recursion could exhaust the stack. */
const MAX_DEPTH = 256;

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
export function isSettings(value: unknown): value is Settings<unknown, StandardSchema> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/**
 * Defines settings from a schema: zod 4.2 or later directly, or any Standard
 * Schema with a JSON Schema of its input (pass it as `options.jsonSchema`).
 *
 * @param schema - the settings schema; descriptions become YAML comments
 * @param options - `jsonSchema` (default from the schema), `unknownKeys` (default `"error"`), `limits`
 * @returns the settings definition; name its values' type with `SettingsOf<typeof Settings>`
 * @throws {@link SettingsError} `ERR_SETTINGS_SCHEMA` when no JSON Schema can be obtained
 *   (also for zod older than 4.2, naming the version), `ERR_INVALID_OPTION` for invalid options
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineSettings, type SettingsOf, socketAddr, telemetrySettings } from "@groundwork/settings";
 *
 * const Settings = defineSettings(
 *   z.object({
 *     http: z.object({ addr: socketAddr().default("127.0.0.1:8080").describe("Address to listen on.") }),
 *     telemetry: telemetrySettings,
 *   }),
 * );
 * type AppSettings = SettingsOf<typeof Settings>;
 * const settings: AppSettings = Settings.parse("http:\n  addr: 0.0.0.0:80\n");
 * ```
 */
export function defineSettings<S extends StandardSchema>(
  schema: S,
  options: DefineSettingsOptions = {},
): Settings<InferOutput<S>, S> {
  type T = InferOutput<S>;
  if (typeof schema?.["~standard"]?.validate !== "function") {
    throw invalidOption("defineSettings needs a Standard Schema (such as a zod 4 object schema)");
  }
  if (options.unknownKeys !== undefined && !["error", "ignore"].includes(options.unknownKeys)) {
    throw invalidOption(
      `unknownKeys must be "error" or "ignore", got ${String(options.unknownKeys)}`,
    );
  }
  const limits: Limits = {
    maxBytes: limit("maxBytes", options.limits?.maxBytes, 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    maxAliasCount: limit("maxAliasCount", options.limits?.maxAliasCount, 100, 0, 100_000),
    maxDepth: limit("maxDepth", options.limits?.maxDepth, 64, 1, MAX_DEPTH),
  };
  const root = obtainJsonSchema(schema, options.jsonSchema);
  const pipeline = new Pipeline<T>({
    schema,
    root,
    limits,
    reportUnknown: options.unknownKeys !== "ignore",
  });
  const yamlOptions = (given: YamlOptions) => ({
    width: given.width ?? 80,
    schemaUrl: given.schemaUrl,
  });

  const settings: Settings<T, S> & { readonly [BRAND]: true } = {
    [BRAND]: true,
    schema,
    jsonSchema: () => JSON.parse(JSON.stringify(root)) as JsonSchema,
    defaults: () => pipeline.defaults(),
    defaultYaml: (given = {}) =>
      renderYaml(root, pipeline.base().value, pipeline.defaults(), {
        ...yamlOptions(given),
        secrets: "placeholder",
      }),
    toYaml: (value, given = {}) =>
      renderYaml(root, value, undefined, { ...yamlOptions(given), secrets: "redacted" }),
    parse: (input, parseOptions = {}) => pipeline.parse(input, parseOptions),
    load: (loadOptions = {}) =>
      pipeline.load(loadOptions, loadOptions.readFile ?? runtimeReadFile()),
  };
  return settings;
}

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
