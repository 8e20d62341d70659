import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The CLI runs as a real process, from sources (as in development) and, when the
// package has been built, from dist/ (as installed).

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const fromSource = ["--conditions=source", "--import", "tsx", join(pkg, "src/node/bin.ts")];
const fixture = "test/fixtures/web-server.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  args: readonly string[],
  node = fromSource,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, ...args],
      { cwd: pkg, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gw-settings-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each case starts Node with a TypeScript loader; allow for a busy machine.
describe("groundwork-settings", { timeout: 60_000 }, () => {
  it("generate prints the annotated default YAML", async () => {
    const result = await run(["generate", fixture]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      await readFile(join(pkg, "test/fixtures/web-server.golden.yaml"), "utf8"),
    );
  });

  it("generate never prints a secret's default", async () => {
    const result = await run(["generate", "test/fixtures/secret-defaults.ts"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  password: ~\n");
    expect(result.stdout).toContain("Secret: the default is not shown");
    expect(result.stdout).not.toContain("DEFAULT-SECRET");
  });

  it("generate adds a schema modeline and schema prints JSON Schema", async () => {
    const generated = await run(["generate", fixture, "--schema-url", "./ws.schema.json"]);
    expect(
      generated.stdout.startsWith("# yaml-language-server: $schema=./ws.schema.json\n---\n"),
    ).toBe(true);
    const schema = await run(["schema", fixture, "--export", "webServerSettings"]);
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({
      type: "object",
      properties: { endpoints: {} },
    });
  });

  it("check accepts a valid file", async () => {
    const file = join(dir, "ok.yaml");
    await writeFile(file, "telemetry:\n  logging:\n    verbosity: DEBUG\n");
    const result = await run(["check", fixture, "-c", file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("settings are valid");
  });

  it("check prints located errors and exits 1", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      "telemetry:\n  tracing:\n    sampling_ratio: 4\n  logging:\n    verbosty: DEBUG\nendpoints:\n  main:\n    addr: 8080\n",
    );
    const result = await run(["check", fixture, "-c", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.replaceAll(file, "bad.yaml")).toMatchInlineSnapshot(`
      "Invalid settings: 3 problems

      ✖ telemetry.tracing.sampling_ratio: expected number ≤ 1, got 4
          at bad.yaml:3:21
          3 |     sampling_ratio: 4
            |                     ^

      ✖ telemetry.logging.verbosty: unknown key; did you mean "verbosity"?
          at bad.yaml:5:5
          5 |     verbosty: DEBUG
            |     ^

      ✖ endpoints.main.addr: expected a socket address such as "127.0.0.1:8080" or "[::1]:0", got 8080
          at bad.yaml:8:11
          8 |     addr: 8080
            |           ^
      "
    `);
  });

  it("check never prints a secret, in valid or malformed files", async () => {
    const cases = {
      "numeric.yaml": "api_key: 123456789\n",
      "sibling.yaml":
        "telemetry: { tracing: { exporter: { headers: { authorization: S3CR3T-a, x: 1 } } } }\n",
      "duplicate.yaml": "api_key: S3CR3T-b\napi_key: S3CR3T-c\n",
      "tabs.yaml": "telemetry:\n\tapi_key: S3CR3T-d\n",
    };
    for (const [name, text] of Object.entries(cases)) {
      const file = join(dir, name);
      await writeFile(file, text);
      const result = await run(["check", fixture, "-c", file]);
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toContain("[REDACTED]");
      expect(result.stderr, name).not.toMatch(/S3CR3T|123456789/);
    }
  });

  it("check reports malformed YAML and honours --set", async () => {
    const file = join(dir, "broken.yaml");
    await writeFile(file, "telemetry: [\n");
    const broken = await run(["check", fixture, "-c", file]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("malformed YAML");
    const fixed = join(dir, "fixable.yaml");
    await writeFile(fixed, "telemetry:\n  tracing:\n    sampling_ratio: 4\n");
    const overridden = await run([
      "check",
      fixture,
      "-c",
      fixed,
      "--set",
      "telemetry.tracing.sampling_ratio=0.5",
    ]);
    expect(overridden.code).toBe(0);
  });

  it("check reads overrides from the environment with --env-prefix", async () => {
    const file = join(dir, "env.yaml");
    await writeFile(file, "telemetry: {}\n");
    const result = await run(["check", fixture, "-c", file, "--env-prefix", "WS_"], fromSource, {
      WS_TELEMETRY__TRACING__SAMPLING_RATIO: "7",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "telemetry.tracing.sampling_ratio: expected number ≤ 1, got 7\n    at env WS_TELEMETRY__TRACING__SAMPLING_RATIO",
    );
  });

  it("prints usage with --help", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("groundwork-settings check <module> -c <file.yaml>");
  });

  it("exits 2 on usage errors", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["frobnicate", fixture])).code).toBe(2);
    expect((await run(["check", fixture])).code).toBe(2);
    const missing = await run(["generate", "test/fixtures/nope.ts"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot import");
  });

  it.skipIf(!existsSync(join(pkg, "dist/node/bin.js")))(
    "works from the built package",
    async () => {
      const result = await run(
        ["generate", "test/fixtures/built-settings.mjs"],
        [join(pkg, "dist/node/bin.js")],
      );
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("---\n# Timeout.\ntimeout: 5s\n");
    },
  );
});
