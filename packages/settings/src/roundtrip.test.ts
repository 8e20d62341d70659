import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { byteSize, defineSettings, duration } from "./index";

// Random schemas with random defaults and descriptions: whatever the shape, the
// generated YAML must load back to exactly the defaults.

type Field =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "integer"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "enum"; options: string[]; value: string }
  | { kind: "strings"; value: string[] }
  | { kind: "numbers"; value: number[] }
  | { kind: "duration"; value: number }
  | { kind: "bytes"; value: number }
  | { kind: "map"; value: Record<string, string | number> }
  | { kind: "objects"; value: { a: number; b: string }[] }
  | { kind: "optional" }
  | { kind: "nullable" }
  | { kind: "object"; fields: Entry[] };

interface Entry {
  key: string;
  description: string | undefined;
  field: Field;
}

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const text = fc.string({ unit: "grapheme", maxLength: 40 });
const anyText = fc.oneof(text, fc.string({ unit: "binary", maxLength: 20 }));
const freeKey = anyText.filter((k) => !FORBIDDEN.has(k));
const double = fc.double({ noNaN: true, noDefaultInfinity: true });
const description = fc.option(
  fc.oneof(
    text,
    fc.array(text, { maxLength: 4 }).map((lines) => lines.join("\n")),
    fc.lorem({ maxCount: 40 }),
  ),
  { nil: undefined },
);

const leaf: fc.Arbitrary<Field> = fc.oneof(
  anyText.map((value) => ({ kind: "string" as const, value })),
  double.map((value) => ({ kind: "number" as const, value })),
  fc.integer().map((value) => ({ kind: "integer" as const, value })),
  fc.boolean().map((value) => ({ kind: "boolean" as const, value })),
  fc
    .uniqueArray(text, { minLength: 1, maxLength: 4 })
    .chain((options) =>
      fc.constantFrom(...options).map((value) => ({ kind: "enum" as const, options, value })),
    ),
  fc.array(anyText, { maxLength: 4 }).map((value) => ({ kind: "strings" as const, value })),
  fc.array(double, { maxLength: 4 }).map((value) => ({ kind: "numbers" as const, value })),
  fc.nat({ max: 10 * 86_400_000 }).map((value) => ({ kind: "duration" as const, value })),
  fc.nat().map((value) => ({ kind: "bytes" as const, value })),
  fc
    .dictionary(freeKey, fc.oneof(anyText, fc.integer()), { maxKeys: 4 })
    .map((value) => ({ kind: "map" as const, value: { ...value } })),
  fc
    .array(fc.record({ a: fc.integer(), b: anyText }), { maxLength: 3 })
    .map((value) => ({ kind: "objects" as const, value })),
  fc.constant({ kind: "optional" as const }),
  fc.constant({ kind: "nullable" as const }),
);

const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/).filter((k) => !FORBIDDEN.has(k));

const entries = (depth: number): fc.Arbitrary<Entry[]> =>
  fc.uniqueArray(
    fc.record({
      key: identifier,
      description,
      field:
        depth > 0
          ? fc.oneof(
              { weight: 4, arbitrary: leaf },
              {
                weight: 1,
                arbitrary: entries(depth - 1).map((fields) => ({
                  kind: "object" as const,
                  fields,
                })),
              },
            )
          : leaf,
    }),
    { selector: (e) => e.key, maxLength: 6 },
  );

function toZod(field: Field): z.ZodType {
  switch (field.kind) {
    case "string":
      return z.string().default(field.value);
    case "number":
      return z.number().default(field.value);
    case "integer":
      return z.number().int().default(field.value);
    case "boolean":
      return z.boolean().default(field.value);
    case "enum":
      return z.enum(field.options as [string, ...string[]]).default(field.value);
    case "strings":
      return z.array(z.string()).default(field.value);
    case "numbers":
      return z.array(z.number()).default(field.value);
    case "duration":
      return duration().default(field.value);
    case "bytes":
      return byteSize().default(field.value);
    case "map":
      return z.record(z.string(), z.union([z.string(), z.number()])).default(field.value);
    case "objects":
      return z.array(z.object({ a: z.number().int(), b: z.string() })).default(field.value);
    case "optional":
      return z.string().optional();
    case "nullable":
      return z.number().nullable().default(null);
    case "object":
      return objectOf(field.fields);
  }
}

function objectOf(fields: Entry[]): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const { key, description, field } of fields) {
    const schema = toZod(field);
    shape[key] = description === undefined ? schema : schema.describe(description);
  }
  return z.object(shape);
}

describe("generated YAML round-trips", () => {
  it("loads back to exactly the defaults, for random schemas", () => {
    fc.assert(
      fc.property(entries(2), fc.option(text, { nil: undefined }), (fields, rootDoc) => {
        const root = objectOf(fields);
        const Settings = defineSettings(rootDoc === undefined ? root : root.describe(rootDoc));
        const yaml = Settings.defaultYaml();
        expect(yaml.startsWith("---\n")).toBe(true);
        const defaults = Settings.defaults();
        expect(Settings.parse(yaml)).toEqual(defaults);
        // A dump of the values round-trips too.
        expect(Settings.parse(Settings.toYaml(defaults))).toEqual(defaults);
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it("puts every description above its key", () => {
    fc.assert(
      fc.property(entries(1), (fields) => {
        const yaml = defineSettings(objectOf(fields)).defaultYaml({ width: 60 });
        const lines = yaml.split("\n");
        for (const { key, description } of fields) {
          const at = lines.findIndex((l) => l.startsWith(`${key}:`));
          expect(at).toBeGreaterThan(0);
          const above = lines[at - 1]!;
          if (description !== undefined && description.trim() !== "")
            expect(above.startsWith("#")).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});
