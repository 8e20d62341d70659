import { SettingsError } from "../errors";
import { isPlainObject, type SchemaNode } from "./json-schema";
import type { StandardSchema } from "./standard";

/** JSON Schema given in the options, for libraries without Standard JSON Schema. */
export type GivenJsonSchema = object | (() => object) | undefined;

/**
 * The JSON Schema of a settings schema's input: the one given, else the
 * schema's own Standard JSON Schema (zod ≥ 4.2).
 *
 * @throws {@link SettingsError} `ERR_SETTINGS_SCHEMA` when there is none; for zod
 *   older than 4.2 the error names the version in use
 */
export function obtainJsonSchema(schema: StandardSchema, given: GivenJsonSchema): SchemaNode {
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
    throw schemaError(`the schema cannot be expressed as JSON Schema: ${String(err)}`, err);
  }
  if (!isPlainObject(result)) {
    const zod = oldZod(schema);
    throw schemaError(
      zod === undefined
        ? "no JSON Schema for these settings: pass options.jsonSchema (for example valibot's toJsonSchema(schema))"
        : `this schema comes from zod ${zod}; @groundwork/settings needs zod 4.2 or later (npm i zod@^4.2)`,
    );
  }
  return result as SchemaNode;
}

/** The version of zod a schema comes from, when that zod is too old to describe it. */
function oldZod(schema: StandardSchema): string | undefined {
  if (schema["~standard"].vendor !== "zod") return undefined;
  // zod 4 schemas carry their version; zod 3 schemas have `_def` and no `_zod`.
  const version = (
    schema as { _zod?: { version?: { major?: unknown; minor?: unknown; patch?: unknown } } }
  )._zod?.version;
  if (version === undefined) return "3.x";
  return `${String(version.major)}.${String(version.minor)}.${String(version.patch)}`;
}

function schemaError(message: string, cause?: unknown): SettingsError {
  return new SettingsError([{ code: "invalid", path: [], message }], {
    code: "ERR_SETTINGS_SCHEMA",
    ...(cause === undefined ? {} : { cause }),
  });
}
