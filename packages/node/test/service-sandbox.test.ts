import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/service.ts", import.meta.url));

// Loader hooks such as tsx cannot run under the permission model (they read
// paths outside any allow-list), so the fixture runs as one bundled file.
describe("runService sandbox", { timeout: 60_000 }, () => {
  let dir: string;
  let bundle: string;
  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), "gw-sandbox-")));
    bundle = join(dir, "app", "service.mjs");
    await build({
      entryPoints: [FIXTURE],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["source"],
      outfile: bundle,
      logLevel: "silent",
      // Bundled CommonJS dependencies call require().
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    await writeFile(join(dir, "allowed.txt"), "allowed contents\n");
    await writeFile(join(dir, "denied.txt"), "secret\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("re-executes under the permission model: an allowed read works, a denied one fails", async () => {
    const child = spawn(
      process.execPath,
      [
        bundle,
        "--set",
        "service.sandbox.enabled=true",
        "--set",
        `service.sandbox.fs_read=["${join(dir, "app")}/", "${join(dir, "allowed.txt")}"]`,
        "--set",
        "telemetry.logging.format=json",
        "--set",
        "telemetry.tracing.enabled=false",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, "exit");
    try {
      let url: string | undefined;
      const deadline = Date.now() + 20_000;
      while (url === undefined) {
        const match = /"msg":"listening".*?"url":"([^"]+)"/.exec(stdout);
        url = match?.[1];
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`service did not start:\n${stdout}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await (await fetch(`${url}/permission`)).json()).toEqual({ active: true });
      const allowed = await fetch(
        `${url}/read?path=${encodeURIComponent(join(dir, "allowed.txt"))}`,
      );
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toBe("allowed contents\n");
      const denied = await fetch(`${url}/read?path=${encodeURIComponent(join(dir, "denied.txt"))}`);
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({ code: "ERR_ACCESS_DENIED" });
      // The permission model refuses inspector sessions: CPU profiles are unavailable.
      const telemetryUrl = /"telemetry_url":"([^"]+)"/.exec(stdout)?.[1];
      expect((await fetch(`${telemetryUrl}/debug/cpu?seconds=0.1`)).status).toBe(503);
      expect((await fetch(`${telemetryUrl}/health`)).status).toBe(200);

      // The parent forwards SIGTERM and exits with the child's code.
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stdout).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("runs without the permission model when the sandbox is off", async () => {
    const child = spawn(process.execPath, [bundle, "--set", "telemetry.logging.format=json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      let url: string | undefined;
      const deadline = Date.now() + 20_000;
      while (url === undefined && Date.now() < deadline) {
        url = /"msg":"listening".*?"url":"([^"]+)"/.exec(stdout)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await (await fetch(`${url}/permission`)).json()).toEqual({ active: false });
      const denied = await fetch(`${url}/read?path=${encodeURIComponent(join(dir, "denied.txt"))}`);
      expect(await denied.text()).toBe("secret\n");
      // Plain `node service.mjs`, no preload: requests still get their trace context.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stdout).toMatch(/"msg":"request served".*"route":"\/read".*"trace_id":"[0-9a-f]{32}"/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
