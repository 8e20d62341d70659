import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineSettings, formatIssue, SettingsError } from "./index";

// Any Standard Schema library works once it supplies a JSON Schema of its input.
const schema = v.pipe(
  v.object({
    port: v.optional(
      v.pipe(v.number(), v.integer(), v.maxValue(65_535), v.description("Port to listen on.")),
      8080,
    ),
    db: v.pipe(
      v.object({
        host: v.optional(v.pipe(v.string(), v.description("Database host.")), "localhost"),
        pool: v.optional(v.pipe(v.number(), v.minValue(1), v.description("Connections.")), 4),
      }),
      v.description("Database."),
    ),
    tags: v.optional(v.array(v.string()), []),
  }),
  v.description("Valibot-defined settings."),
);

const Settings = defineSettings(schema, {
  jsonSchema: () => toJsonSchema(schema, { errorMode: "ignore" }),
});

describe("valibot", () => {
  it("derives defaults and annotated YAML", () => {
    expect(Settings.defaults()).toEqual({
      port: 8080,
      db: { host: "localhost", pool: 4 },
      tags: [],
    });
    const yaml = Settings.defaultYaml();
    expect(yaml).toContain("# Port to listen on.\nport: 8080");
    expect(yaml).toContain("db:\n  # Database host.\n  host: localhost");
    expect(Settings.parse(yaml)).toEqual(Settings.defaults());
  });

  it("validates through Standard Schema with located errors", () => {
    try {
      Settings.parse("port: 70000\ndb:\n  pool: 0\n  hots: x\n", { name: "v.yaml" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError);
      expect((err as SettingsError).issues.map(formatIssue)).toMatchInlineSnapshot(`
        [
          "port: expected <=65535, got 70000 (v.yaml:1:7)",
          "db.pool: expected >=1, got 0 (v.yaml:3:9)",
          "db.hots: unknown key; did you mean "host"? (v.yaml:4:3)",
        ]
      `);
    }
  });

  it("refuses a schema without JSON Schema", () => {
    expect(() => defineSettings(v.object({}))).toThrow(
      expect.objectContaining({ code: "ERR_SETTINGS_SCHEMA" }),
    );
  });
});
