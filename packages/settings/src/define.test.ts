import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineSettings,
  duration,
  formatIssue,
  Secret,
  SettingsError,
  type SettingsOf,
  secret,
  socketAddr,
} from "./index";

const App = defineSettings(
  z
    .object({
      http: z
        .object({
          addr: socketAddr().default("127.0.0.1:8080").describe("Address to listen on."),
          timeout: duration().default(30_000).describe("Request timeout."),
          hosts: z.array(z.string()).default(["a", "b"]).describe("Virtual hosts."),
        })
        .describe("HTTP server."),
      workers: z.number().int().min(1).max(64).default(4).describe("Worker count."),
      ratio: z.number().min(0).max(1).default(0.5),
      name: z.string().optional().describe("Display name."),
      labels: z.record(z.string(), z.string()).default({ team: "core" }),
      token: secret().optional(),
    })
    .describe("Test application."),
);

function failure(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error("expected a SettingsError");
}

async function failureAsync(fn: () => Promise<unknown>): Promise<SettingsError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error("expected a SettingsError");
}

describe("defaults", () => {
  it("fills nested defaults even when the parent object has no default", () => {
    expect(App.defaults()).toEqual({
      http: { addr: "127.0.0.1:8080", timeout: 30_000, hosts: ["a", "b"] },
      workers: 4,
      ratio: 0.5,
      labels: { team: "core" },
    });
  });

  it("parses an empty document to the defaults", () => {
    expect(App.parse("")).toEqual(App.defaults());
    expect(App.parse("---\n")).toEqual(App.defaults());
    expect(App.parse({})).toEqual(App.defaults());
  });

  it("renders the default YAML with comments, `~` and humane values", () => {
    expect(App.defaultYaml()).toMatchInlineSnapshot(`
      "---
      # Test application.

      # HTTP server.
      http:
        # Address to listen on.
        addr: "127.0.0.1:8080"
        # Request timeout.
        timeout: 30s
        # Virtual hosts.
        hosts:
          - a
          - b
      # Worker count.
      workers: 4
      ratio: 0.5
      # Display name.
      name: ~
      labels:
        team: core
      token: ~
      "
    `);
  });

  it("writes a placeholder and where to set it for secret defaults, never the value", () => {
    const WithSecrets = defineSettings(
      z.object({
        db: z
          .object({
            password: secret().prefault("DEFAULT-SECRET-pw").describe("Database password."),
            pin: secret().default(new Secret("DEFAULT-SECRET-pin")),
          })
          .prefault({}),
        keys: z.array(secret()).prefault(["DEFAULT-SECRET-list"]),
        headers: z.record(z.string(), secret()).prefault({ authorization: "DEFAULT-SECRET-map" }),
      }),
    );
    const yaml = WithSecrets.defaultYaml({ width: 240 });
    expect(yaml).not.toContain("DEFAULT-SECRET");
    expect(yaml).toContain(
      "  # Secret: the default is not shown (`~` keeps it). Write `env:NAME` or `file:/path` here to read it from an environment variable or a file, or set it with an environment variable or `--set db.password=…`.\n  password: ~\n",
    );
    expect(yaml).toContain("--set headers=…`.\nheaders: ~\n");
    const loaded = WithSecrets.parse(yaml);
    expect(loaded.db.password.reveal()).toBe("DEFAULT-SECRET-pw");
    expect(loaded.db.pin.reveal()).toBe("DEFAULT-SECRET-pin");
    expect(loaded.keys.map((k) => k.reveal())).toEqual(["DEFAULT-SECRET-list"]);
    expect(loaded.headers.authorization?.reveal()).toBe("DEFAULT-SECRET-map");
    expect(WithSecrets.toYaml(loaded)).not.toContain("DEFAULT-SECRET");
  });

  it("adds the yaml-language-server modeline when asked", () => {
    expect(App.defaultYaml({ schemaUrl: "./app.schema.json" }).split("\n").slice(0, 2)).toEqual([
      "# yaml-language-server: $schema=./app.schema.json",
      "---",
    ]);
  });

  it("loads its default YAML back to exactly the defaults", () => {
    expect(App.parse(App.defaultYaml())).toEqual(App.defaults());
  });

  it("exposes a JSON Schema for editors, with descriptions and defaults", () => {
    const schema = App.jsonSchema() as {
      properties: Record<string, { description?: string; default?: unknown }>;
    };
    expect(schema.properties.workers).toMatchObject({ description: "Worker count.", default: 4 });
    // A fresh copy each time: callers may mutate it.
    (schema.properties as Record<string, unknown>).workers = 1;
    expect((App.jsonSchema() as typeof schema).properties.workers).toMatchObject({ default: 4 });
  });
});

describe("layering", () => {
  it("merges files in order: maps key by key, arrays replaced", async () => {
    const settings = await App.load({
      files: [
        { name: "base.yaml", text: "http:\n  hosts: [x, y, z]\nlabels:\n  env: prod\n" },
        { name: "prod.yaml", text: "http:\n  hosts: [w]\n  timeout: 5m\nworkers: 8\n" },
      ],
    });
    expect(settings.http).toEqual({ addr: "127.0.0.1:8080", timeout: 300_000, hosts: ["w"] });
    expect(settings.labels).toEqual({ team: "core", env: "prod" });
    expect(settings.workers).toBe(8);
  });

  it("applies env over files and --set over env, coercing by the schema's type", async () => {
    const settings = await App.load({
      files: [{ name: "a.yaml", text: "workers: 2\nname: from-file\n" }],
      env: { prefix: "APP_" },
      vars: {
        APP_WORKERS: "16",
        APP_HTTP__TIMEOUT: "1500",
        APP_NAME: "true",
        APP_HTTP__HOSTS: "[one, two]",
        OTHER_WORKERS: "1",
      },
      args: ["serve", "--set", "workers=32", "--set=labels.owner=me", "--verbose"],
    });
    expect(settings.workers).toBe(32);
    expect(settings.http.timeout).toBe(1500);
    // A string field keeps text that would otherwise read as a boolean.
    expect(settings.name).toBe("true");
    expect(settings.http.hosts).toEqual(["one", "two"]);
    expect(settings.labels).toEqual({ team: "core", owner: "me" });
  });

  it("skips non-text variables, as a Worker's env holds bindings too", () => {
    const vars = { APP_WORKERS: "6", APP_KV: { get() {} } } as unknown as Record<string, string>;
    expect(App.parse("", { env: { prefix: "APP_" }, vars }).workers).toBe(6);
  });

  it("treats `~` on an optional key as not set", () => {
    expect(App.parse("name: ~\ntoken: ~\n")).toEqual(App.defaults());
    expect(App.parse("name: Alice\n").name).toBe("Alice");
  });

  it("keeps a value that starts with env: as is in fields without indirection", () => {
    expect(App.parse("name: 'env:HOME'\n").name).toBe("env:HOME");
  });

  it("resolves env: references in secrets, and literal: escapes them", () => {
    const fromEnv = App.parse("token: env:TOKEN\n", { vars: { TOKEN: "t0k3n" } });
    expect(fromEnv.token).toBeInstanceOf(Secret);
    expect(fromEnv.token?.reveal()).toBe("t0k3n");
    expect(App.parse("token: 'literal:env:X'\n").token?.reveal()).toBe("env:X");
  });

  it("reads files and file: references through the injected reader", async () => {
    const files: Record<string, string> = {
      "/etc/app.yaml": "token: file:/run/secrets/token\nworkers: 3\n",
      "/run/secrets/token": "from-file\n",
    };
    const settings = await App.load({
      files: ["/etc/app.yaml"],
      readFile: async (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
        return text;
      },
    });
    expect(settings.workers).toBe(3);
    expect(settings.token?.reveal()).toBe("from-file");
  });

  it("ignores unknown keys when asked to", () => {
    const Lenient = defineSettings(z.object({ a: z.number().default(1) }), {
      unknownKeys: "ignore",
    });
    expect(Lenient.parse("a: 2\nb: 3\n")).toEqual({ a: 2 });
    expect(Lenient.parse("", { env: { prefix: "X_" }, vars: { X_B: "1" } })).toEqual({ a: 1 });
  });
});

describe("errors", () => {
  it("names the key path, expected and got, and the file position", () => {
    const err = failure(() =>
      App.parse("http:\n  addr: localhost\n  timeout: soon\nworkers: 100\nratio: 4\nwokers: 2\n", {
        name: "prod.yaml",
      }),
    );
    expect(err.code).toBe("ERR_SETTINGS_INVALID");
    expect(err.issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "http.addr: expected a socket address such as "127.0.0.1:8080" or "[::1]:0", got "localhost" (prod.yaml:2:9)",
        "http.timeout: expected a duration such as "250ms", "30s", "1h30m" or a number of milliseconds, got "soon" (prod.yaml:3:12)",
        "workers: expected number ≤ 64, got 100 (prod.yaml:4:10)",
        "ratio: expected number ≤ 1, got 4 (prod.yaml:5:8)",
        "wokers: unknown key; did you mean "workers"? (prod.yaml:6:1)",
      ]
    `);
    expect(err.format()).toMatchInlineSnapshot(`
      "Invalid settings: 5 problems

      ✖ http.addr: expected a socket address such as "127.0.0.1:8080" or "[::1]:0", got "localhost"
          at prod.yaml:2:9
          2 |   addr: localhost
            |         ^

      ✖ http.timeout: expected a duration such as "250ms", "30s", "1h30m" or a number of milliseconds, got "soon"
          at prod.yaml:3:12
          3 |   timeout: soon
            |            ^

      ✖ workers: expected number ≤ 64, got 100
          at prod.yaml:4:10
          4 | workers: 100
            |          ^

      ✖ ratio: expected number ≤ 1, got 4
          at prod.yaml:5:8
          5 | ratio: 4
            |        ^

      ✖ wokers: unknown key; did you mean "workers"?
          at prod.yaml:6:1
          6 | wokers: 2
            | ^"
    `);
  });

  it("reports missing references and unreadable files clearly", async () => {
    const err = await failureAsync(() =>
      App.load({
        files: [{ name: "a.yaml", text: "token: env:NOT_SET\n" }, "missing.yaml"],
        vars: {},
        readFile: async () => {
          throw Object.assign(new Error("gone"), { code: "ENOENT" });
        },
      }),
    );
    expect(err.issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "cannot read missing.yaml: no such file",
      ]
    `);
  });

  it("attributes env and --set values to their source", async () => {
    const err = await failureAsync(() =>
      App.load({
        env: { prefix: "APP_" },
        vars: { APP_WORKERS: "many", APP_HTTP__NOPE: "1" },
        args: ["--set", "ratio=2", "--set", "nokey"],
      }),
    );
    expect(err.issues.map(formatIssue)).toMatchInlineSnapshot(`
      [
        "http.NOPE: unknown key (env APP_HTTP__NOPE)",
        "expected key.path=value (--set nokey)",
        "workers: expected number, got "many" (env APP_WORKERS)",
        "ratio: expected number ≤ 1, got 2 (--set ratio=2)",
      ]
    `);
  });

  it("never shows a secret's value", () => {
    const err = failure(() => App.parse({ token: 424242 }));
    expect(err.issues[0]).toMatchObject({ path: ["token"], received: "[REDACTED]" });
    expect(err.message).not.toContain("424242");
    expect(err.format()).not.toContain("424242");
  });

  it("masks secret values in every code frame", async () => {
    const Db = defineSettings(
      z.object({
        db: z
          .object({
            password: secret().optional(),
            pin: secret().optional(),
            port: z.number().default(5432),
          })
          .prefault({}),
        headers: z.record(z.string(), secret()).default({}),
      }),
    );
    const cases = [
      // a numeric secret is itself the invalid value
      ["db:\n  pin: 98765432\n", "98765432"],
      // a sibling error on the same flow line
      ["db: { password: S3CR3T-flow, port: nope }\n", "S3CR3T-flow"],
      // a map of secrets with a bad entry beside a good one
      ['headers: { authorization: "Bearer S3CR3T-hdr", x: 5 }\n', "S3CR3T-hdr"],
      // duplicate keys: the document does not parse
      ["db:\n  password: S3CR3T-one\n  password: S3CR3T-two\n", "S3CR3T-two"],
      // tab indentation: the structure is wrong, the line is still shown
      ["db:\n\tpassword: S3CR3T-tab\n", "S3CR3T-tab"],
      // a multi-line secret with an error on the line after it
      ["db:\n  password: |\n    S3CR3T-block\n  port: x\n", "S3CR3T-block"],
    ] as const;
    for (const [text, value] of cases) {
      const err = failure(() => Db.parse(text, { name: "db.yaml" }));
      const shown = err.format();
      expect(shown, text).toContain(" | ");
      expect(shown, text).not.toContain(value);
      expect(err.message, text).not.toContain(value);
      const loaded = await failureAsync(() => Db.load({ files: [{ name: "db.yaml", text }] }));
      expect(loaded.format(), text).not.toContain(value);
    }
    const sibling = failure(() =>
      Db.parse("db: { password: S3CR3T-flow, port: nope }\n", { name: "db.yaml" }),
    );
    // The caret still points at the offending value after the masked one.
    expect(sibling.format().split("\n").slice(-2)).toEqual([
      "    1 | db: { password: [REDACTED], port: nope }",
      "      |                                   ^",
    ]);
  });

  it("prints colours only when asked", () => {
    const err = failure(() => App.parse("workers: 0\n", { name: "a.yaml" }));
    expect(err.format()).not.toContain("\u001b[");
    expect(err.format({ color: true })).toContain("\u001b[31m");
  });
});

describe("bad input", () => {
  it("rejects malformed YAML with its position", () => {
    const err = failure(() => App.parse("http:\n  addr: [unclosed\n", { name: "bad.yaml" }));
    expect(err.code).toBe("ERR_SETTINGS_SOURCE");
    expect(err.issues[0]).toMatchObject({
      code: "yaml",
      source: { kind: "file", file: "bad.yaml" },
    });
  });

  it("rejects duplicate keys, several documents and a non-mapping document", () => {
    expect(failure(() => App.parse("workers: 1\nworkers: 2\n")).issues[0]?.code).toBe("yaml");
    expect(failure(() => App.parse("workers: 1\n---\nworkers: 2\n")).issues[0]?.code).toBe("yaml");
    expect(failure(() => App.parse("- a\n- b\n")).issues[0]?.code).toBe("yaml");
  });

  it("rejects wrong types with expected and got", () => {
    const err = failure(() => App.parse("workers: [1]\nhttp: 3\n"));
    expect(err.issues.map((i) => [i.path.join("."), i.expected, i.received])).toEqual([
      ["workers", "number", "a list of 1"],
      ["http", "a mapping", "3"],
    ]);
  });

  it("rejects NaN and Infinity wherever they appear", () => {
    for (const text of [
      "ratio: .nan\n",
      "ratio: .inf\n",
      "workers: -.Inf\n",
      "labels:\n  x: [.nan]\n",
    ]) {
      const err = failure(() => App.parse(text));
      expect(err.issues[0]?.code, text).toBe("non_finite");
    }
    expect(failure(() => App.parse({ ratio: Number.NaN })).issues[0]?.code).toBe("non_finite");
    const env = failure(() => App.parse("", { env: { prefix: "A_" }, vars: { A_RATIO: ".inf" } }));
    expect(env.issues[0]).toMatchObject({
      code: "non_finite",
      source: { kind: "env", name: "A_RATIO" },
    });
  });

  it("rejects oversized input before parsing it", () => {
    const Small = defineSettings(z.object({ a: z.string().default("") }), {
      limits: { maxBytes: 64 },
    });
    const err = failure(() => Small.parse(`a: ${"x".repeat(100)}\n`, { name: "big.yaml" }));
    expect(err.issues[0]).toMatchObject({ code: "too_large" });
    // Multi-byte characters count as bytes, not as UTF-16 units.
    expect(failure(() => Small.parse(`a: ${"é".repeat(31)}\n`)).issues[0]?.code).toBe("too_large");
    expect(Small.parse(`a: ${"é".repeat(29)}\n`).a).toHaveLength(29);
  });

  it("rejects alias bombs (billion laughs) by the alias limit", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const Free = defineSettings(z.object({}).catchall(z.unknown()));
    const err = failure(() => Free.parse(`${levels.join("\n")}\n`, { name: "lol.yaml" }));
    expect(err.issues[0]).toMatchObject({ code: "alias_limit" });
    // A few honest aliases are fine.
    expect(Free.parse("a: &x [1]\nb: *x\n")).toEqual({ a: [1], b: [1] });
  });

  it("rejects prototype keys from every source and leaves Object.prototype alone", async () => {
    const Free = defineSettings(z.object({ m: z.record(z.string(), z.unknown()).default({}) }));
    const cases: (() => unknown)[] = [
      () => Free.parse("m:\n  __proto__:\n    polluted: true\n"),
      () => Free.parse("m:\n  constructor:\n    prototype:\n      polluted: true\n"),
      () => Free.parse(JSON.parse('{"m":{"__proto__":{"polluted":true}}}')),
      () =>
        Free.parse("", {
          env: { prefix: "P_" },
          vars: { P_M__CONSTRUCTOR: "{prototype: {polluted: true}}" },
        }),
      () => Free.parse("", { args: ["--set", "m.__proto__.polluted=true"] }),
      () => Free.parse("m: {x: {__proto__: {polluted: true}}}\n"),
    ];
    for (const run of cases) {
      const err = failure(run);
      expect(err.issues.some((i) => i.code === "forbidden_key")).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses prototype keys at the root of --set and env as forbidden_key", () => {
    const Strict = defineSettings(z.object({ a: z.number().default(1) }));
    for (const arg of ["__proto__.polluted=true", "constructor=1", "prototype.x=1"]) {
      const err = failure(() => Strict.parse("", { args: ["--set", arg] }));
      expect(
        err.issues.map((i) => i.code),
        arg,
      ).toEqual(["forbidden_key"]);
    }
    const env = failure(() =>
      Strict.parse("", { env: { prefix: "P_" }, vars: { P_CONSTRUCTOR: "1" } }),
    );
    expect(env.issues.map((i) => i.code)).toEqual(["forbidden_key"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects nesting deeper than the limit", () => {
    const Free = defineSettings(z.object({}).catchall(z.unknown()), { limits: { maxDepth: 8 } });
    const deep = `a: ${"[".repeat(20)}${"]".repeat(20)}\n`;
    expect(failure(() => Free.parse(deep)).issues[0]?.code).toBe("too_deep");
  });

  it("refuses hostile nesting as too_deep before parsing, parse after parse", async () => {
    const Free = defineSettings(z.object({}).catchall(z.unknown()));
    const hostile = [
      `a: ${"[".repeat(20_000)}`,
      `a: ${"{".repeat(20_000)}`,
      `a: ${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      `a:\n  ${"- ".repeat(20_000)}x\n`,
      `a:\n${Array.from({ length: 1200 }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n")}\n`,
    ];
    // The parser's own stack overflow went fatal (V8 aborted) on the 3rd or 4th parse.
    for (let round = 0; round < 5; round++) {
      for (const text of hostile) {
        const err = failure(() => Free.parse(text, { name: "deep.yaml" }));
        expect(err.issues).toHaveLength(1);
        expect(err.issues[0]).toMatchObject({
          code: "too_deep",
          message: "nesting deeper than 64 levels",
          source: { kind: "file", file: "deep.yaml" },
        });
      }
    }
    const fromArgs = failure(() => Free.parse("", { args: ["--set", `a=${"[".repeat(20_000)}`] }));
    expect(fromArgs.issues[0]).toMatchObject({ code: "too_deep", path: ["a"] });
    const loaded = await failureAsync(() =>
      Free.load({ files: [{ name: "deep.yaml", text: hostile[1]! }] }),
    );
    expect(loaded.issues[0]?.code).toBe("too_deep");
  });

  it("still loads documents nested up to the limit in every style", () => {
    const Free = defineSettings(z.object({}).catchall(z.unknown()), { limits: { maxDepth: 8 } });
    const flow = `a: ${"[".repeat(8)}${"]".repeat(8)}\n`;
    const block = `${Array.from({ length: 8 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n")} 1\n`;
    const compact = `a:\n  ${"- ".repeat(7)}x\n`;
    for (const text of [flow, block, compact]) expect(() => Free.parse(text), text).not.toThrow();
    expect(failure(() => Free.parse(`a: ${"[".repeat(9)}${"]".repeat(9)}\n`)).issues[0]?.code).toBe(
      "too_deep",
    );
  });
});

describe("robustness", () => {
  it("turns a throwing schema into a SettingsError", async () => {
    const Throws = defineSettings(
      z.object({
        a: z
          .string()
          .default("x")
          .transform(() => {
            throw new Error("boom");
          }),
      }),
    );
    // zod retries asynchronously when a transform throws, so the sync path cannot see the cause.
    expect(failure(() => Throws.parse("a: y\n")).code).toBe("ERR_SETTINGS_SCHEMA");
    const err = await failureAsync(() =>
      Throws.load({ files: [{ name: "a.yaml", text: "a: y\n" }] }),
    );
    expect(err.issues[0]?.message).toContain("boom");
  });

  it("describes fields JSON Schema cannot, and still validates them", () => {
    const WithDate = defineSettings(
      z.object({ at: z.date().optional(), n: z.number().default(1) }),
    );
    expect(WithDate.parse({ at: new Date(0) }).at).toEqual(new Date(0));
    expect(() => WithDate.parse("at: yesterday\n")).toThrow(SettingsError);
  });

  it("rejects objects nested beyond the depth limit", () => {
    const Free = defineSettings(z.object({}).catchall(z.unknown()), { limits: { maxDepth: 8 } });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(failure(() => Free.parse(deep)).issues[0]?.code).toBe("too_deep");
  });

  it("reports an unreadable path as a source error in any runtime", async () => {
    // Node reads through node:fs by default; other runtimes have no reader unless given one.
    const err = await failureAsync(() => App.load({ files: ["/nonexistent/groundwork/app.yaml"] }));
    expect(err.code).toBe("ERR_SETTINGS_SOURCE");
    expect(err.issues[0]?.code).toBe("file");
    expect(err.message).toContain("/nonexistent/groundwork/app.yaml");
  });

  it("returns a fresh defaults object on each call", () => {
    const first = App.defaults();
    first.http.hosts.push("mutated");
    expect(App.defaults().http.hosts).toEqual(["a", "b"]);
  });
});

describe("options", () => {
  it("refuses invalid limits when the settings are defined", () => {
    const schema = z.object({ a: z.number().default(1) });
    for (const limits of [
      { maxDepth: 0 },
      { maxDepth: 100_000 },
      { maxBytes: -1 },
      { maxAliasCount: 1.5 },
    ]) {
      const err = failure(() => defineSettings(schema, { limits }));
      expect(err.code, JSON.stringify(limits)).toBe("ERR_INVALID_OPTION");
    }
    expect(defineSettings(schema, { limits: { maxDepth: 256 } }).defaults()).toEqual({ a: 1 });
  });
});

describe("schema libraries", () => {
  it("names the zod version when it is older than 4.2", () => {
    const validate = () => ({ value: {} });
    const zod41 = {
      "~standard": { version: 1, vendor: "zod", validate },
      _zod: { version: { major: 4, minor: 1, patch: 12 } },
    } as const;
    const zod3 = { "~standard": { version: 1, vendor: "zod", validate }, _def: {} } as const;
    const old = failure(() => defineSettings(zod41));
    expect(old.code).toBe("ERR_SETTINGS_SCHEMA");
    expect(old.message).toContain("zod 4.1.12; @groundwork/settings needs zod 4.2 or later");
    expect(old.message).not.toContain("valibot");
    expect(failure(() => defineSettings(zod3)).message).toContain("zod 3.x");
    const other = failure(() =>
      defineSettings({ "~standard": { version: 1, vendor: "x", validate } }),
    );
    expect(other.message).toContain("pass options.jsonSchema");
  });

  it("names the settings type with SettingsOf, and keeps the schema's own type", () => {
    const Named = defineSettings(
      z.object({ port: z.number().default(8080), tags: z.array(z.string()).default([]) }),
    );
    type Named = SettingsOf<typeof Named>;
    expectTypeOf<Named>().toEqualTypeOf<{ port: number; tags: string[] }>();
    expectTypeOf<z.infer<typeof Named.schema>>().toEqualTypeOf<Named>();
    const value: Named = Named.parse("port: 1\n");
    expect(value).toEqual({ port: 1, tags: [] });
  });
});
