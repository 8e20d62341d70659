import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { SettingsError } from "@groundwork/settings";
import { loadSettings, nodeReadFile } from "@groundwork/settings/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webServerSettings } from "./fixtures/web-server";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gw-settings-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(run: () => Promise<unknown>): Promise<SettingsError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error("expected a SettingsError");
}

describe("loading files on Node", () => {
  it("merges real files in order, then env, then --set", async () => {
    const base = await write(
      "base.yaml",
      "telemetry:\n  logging:\n    format: json\n    redact_keys: [password]\nendpoints:\n  main:\n    addr: 127.0.0.1:1\n",
    );
    const prod = await write(
      "prod.yaml",
      "telemetry:\n  logging:\n    redact_keys: [token]\n  tracing:\n    sampling_ratio: 0.25\n",
    );
    const value = await loadSettings(webServerSettings, {
      files: [base, prod],
      env: { prefix: "WS_" },
      vars: { WS_TELEMETRY__TRACING__ENABLED: "false" },
      args: ["--set", "telemetry.logging.verbosity=DEBUG"],
    });
    expect(value.telemetry.logging).toMatchObject({
      format: "json",
      redact_keys: ["token"],
      verbosity: "debug",
    });
    expect(value.telemetry.tracing).toMatchObject({ sampling_ratio: 0.25, enabled: false });
    // The file's endpoints map merges key by key with the default one.
    expect(value.endpoints.main?.addr).toBe("127.0.0.1:1");
    expect(value.endpoints.main?.routes["/hello"]).toBeDefined();
  });

  it("reads file: references for secrets, without the trailing newline", async () => {
    const secretPath = await write("api-key", "s3cr3t\n");
    const config = await write("with-secret.yaml", `api_key: file:${secretPath}\n`);
    const value = await loadSettings(webServerSettings, { files: [config], vars: {} });
    expect(value.api_key?.reveal()).toBe("s3cr3t");
    // What console.log and most loggers print.
    expect(inspect(value)).not.toContain("s3cr3t");
    expect(inspect(value.api_key)).toBe("Secret([REDACTED])");
  });

  it("reports the file and position of each problem", async () => {
    const config = await write(
      "bad.yaml",
      "telemetry:\n  tracing:\n    sampling_ratio: 4\nendpoints:\n  main:\n    addr: nowhere\n",
    );
    const err = await failure(() => loadSettings(webServerSettings, { files: [config], vars: {} }));
    expect(err.issues.map((i) => [i.path.join("."), i.source])).toEqual([
      ["telemetry.tracing.sampling_ratio", { kind: "file", file: config, line: 3, column: 21 }],
      ["endpoints.main.addr", { kind: "file", file: config, line: 6, column: 11 }],
    ]);
  });

  it("reports missing files and missing references", async () => {
    const missing = join(dir, "does-not-exist.yaml");
    const err = await failure(() =>
      loadSettings(webServerSettings, { files: [missing], vars: {} }),
    );
    expect(err.code).toBe("ERR_SETTINGS_SOURCE");
    expect(err.message).toContain(`cannot read ${missing}: no such file`);

    const config = await write("ref.yaml", `api_key: file:${join(dir, "absent-key")}\n`);
    const refErr = await failure(() =>
      loadSettings(webServerSettings, { files: [config], vars: {} }),
    );
    expect(refErr.issues[0]).toMatchObject({
      path: ["api_key"],
      source: { kind: "file", file: config, line: 1, column: 10 },
    });
  });

  it("rejects a huge file after reading no more than the limit", async () => {
    const huge = join(dir, "huge.yaml");
    await writeFile(huge, "");
    await truncate(huge, 2 * 1024 * 1024 * 1024);
    const started = performance.now();
    const err = await failure(() => loadSettings(webServerSettings, { files: [huge], vars: {} }));
    expect(err.issues[0]?.code).toBe("too_large");
    expect(performance.now() - started).toBeLessThan(2000);
    const text = await nodeReadFile(huge, { maxBytes: 10 });
    expect(text.length).toBe(11);
  });

  it("uses node:fs by default on Node, through Settings.load", async () => {
    const config = await write("plain.yaml", "tls_certificate: /etc/cert.pem\n");
    const value = await webServerSettings.load({ files: [config], vars: {} });
    expect(value.tls_certificate).toBe("/etc/cert.pem");
  });
});
