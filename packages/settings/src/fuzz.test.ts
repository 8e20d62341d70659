import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSettings, SettingsError, secret, telemetrySettings } from "./index";

// Whatever the input, loading either succeeds or throws a SettingsError: no other
// exception escapes, nothing hangs, and Object.prototype stays untouched.

const Settings = defineSettings(
  z.object({
    telemetry: telemetrySettings,
    name: z.string().default("app"),
    token: secret().optional(),
    extra: z.record(z.string(), z.unknown()).default({}),
    list: z.array(z.number()).default([]),
  }),
  { limits: { maxBytes: 4096, maxAliasCount: 20, maxDepth: 16 } },
);

const tokens = [
  "telemetry:",
  "tracing:",
  "logging:",
  "sampling_ratio:",
  "extra:",
  "list:",
  "name:",
  "token:",
  " ",
  "  ",
  "\n",
  "\n  ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  "? ",
  "&a ",
  "*a",
  "&b ",
  "*b",
  "__proto__",
  "constructor",
  "prototype",
  ".nan",
  ".inf",
  "-.inf",
  "~",
  "null",
  "true",
  "1e999",
  "0x1F",
  "'",
  '"',
  "#",
  "!!str ",
  "!!binary ",
  "!tag ",
  "<<: ",
  "---",
  "...",
  "|",
  ">",
  "\t",
  "env:X",
  "file:/etc/passwd",
  "literal:",
  "%YAML 1.2\n",
  "\u0000",
  "\ufeff",
  "é",
  "🙂",
];

function check(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    expect(typeof err.format()).toBe("string");
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
}

describe("loader fuzzing", () => {
  it("survives arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        check(() => Settings.parse(text, { vars: {} }));
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it("survives YAML-shaped token soup", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }), (parts) => {
        check(() => Settings.parse(parts.join(""), { vars: {} }));
      }),
      { numRuns: 500 },
    );
  }, 30_000);

  it("survives arbitrary objects", () => {
    fc.assert(
      fc.property(
        fc.object({ maxDepth: 4, withNullPrototype: true, withBigInt: true }),
        (value) => {
          check(() => Settings.parse(value, { vars: {} }));
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);

  it("survives arbitrary environment variables and arguments", () => {
    const name = fc.array(
      fc.constantFrom("TELEMETRY", "TRACING", "EXTRA", "__", "_", "__PROTO__", "X", "list", ""),
      {
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          name.map((p) => `APP_${p.join("")}`),
          fc.string({ unit: "binary", maxLength: 40 }),
        ),
        fc.array(fc.oneof(fc.constant("--set"), fc.string({ maxLength: 30 })), { maxLength: 6 }),
        (vars, args) => {
          check(() => Settings.parse("", { env: { prefix: "APP_" }, vars, args }));
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);
});
