import type { ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkMetrics,
  killCapturedProcesses,
  type OtlpReceiver,
  spawnCaptured,
  startOtlpReceiver,
} from "@groundwork/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/service.ts", import.meta.url));
const NODE_ARGS = ["--conditions=source", "--import", "tsx"];

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  url: string;
  telemetryUrl: string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

afterEach(killCapturedProcesses);

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnCaptured([...NODE_ARGS, FIXTURE, ...args], { env });

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function startService(receiver: OtlpReceiver, extra: string[] = []): Promise<Running> {
  const started = run([
    "--set",
    "telemetry.logging.format=json",
    "--set",
    `telemetry.tracing.exporter.endpoint=${receiver.endpoint("traces")}`,
    "--set",
    "telemetry.tracing.exporter.scheduled_delay=100ms",
    ...extra,
  ]);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listening = jsonLines(started.stdout()).find((l) => l.msg === "listening");
    if (listening !== undefined) {
      return {
        ...started,
        get lines() {
          return jsonLines(started.stdout());
        },
        url: listening.url as string,
        telemetryUrl: listening.telemetry_url as string,
      };
    }
    if (started.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`service did not start:\n${started.stdout()}\n${started.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("runService command line", { timeout: 30_000 }, () => {
  it("prints help and exits 0", async () => {
    const { stdout, exited } = run(["--help"]);
    expect((await exited)[0]).toBe(0);
    expect(stdout()).toContain("Usage: fixture-service");
    expect(stdout()).toContain("FIXTURE_SERVICE_");
  });

  it("prints the annotated default settings with --generate and exits 0", async () => {
    const { stdout, exited } = run(["-g"]);
    expect((await exited)[0]).toBe(0);
    expect(stdout()).toMatch(/^---\n/);
    expect(stdout()).toContain("# Port of the test API.\nport: 0\n");
    expect(stdout()).toContain("shutdown_timeout:");
    expect(stdout()).toContain("debug_routes: true");
  });

  it("exits 2 on an unknown option and 1 with located errors on invalid settings", async () => {
    const unknown = run(["--nope"]);
    expect((await unknown.exited)[0]).toBe(2);
    expect(unknown.stderr()).toContain("Usage:");

    const dir = await mkdtemp(join(tmpdir(), "gw-service-"));
    const file = join(dir, "bad.yaml");
    await writeFile(file, "port: 1\ntelemetry:\n  tracing:\n    sampling_ratio: 4\n");
    const invalid = run(["-c", file]);
    expect((await invalid.exited)[0]).toBe(1);
    expect(invalid.stderr()).toMatch(
      /telemetry\.tracing\.sampling_ratio: expected number ≤ 1, got 4\n\s+at .*bad\.yaml:4:/,
    );
  });
});

describe("runService start-up failures", { timeout: 30_000 }, () => {
  it("exits 1 naming the problem when telemetry cannot be built", async () => {
    const failed = run(["--set", "telemetry.logging.output={file: /nonexistent/dir/x.log}"]);
    expect((await failed.exited)[0]).toBe(1);
    expect(failed.stderr()).toContain("fixture-service: cannot start: ENOENT");
  });
});

describe("runService lifecycle", { timeout: 30_000 }, () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.stop();
  });
  afterEach(() => receiver.reset());

  it("serves, exposes /metrics and /health, and drains a slow request on SIGTERM before exiting 0", async () => {
    const service = await startService(receiver);
    expect(service.telemetryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(service.lines.some((l) => l.msg === "telemetry server listening")).toBe(true);

    expect(await (await fetch(`${service.url}/`)).text()).toBe("hello\n");
    const metrics = await (await fetch(`${service.telemetryUrl}/metrics`)).text();
    expect(metrics).toContain('fixture_service_build_info{version="1.2.3"} 1');
    expect(metrics).toContain("fixture_service_http_server_requests_total");
    expect(metrics).toContain("fixture_service_process_cpu_seconds_total");
    expect(metrics).toContain("fixture_service_log_events_total");
    expect((await checkMetrics(metrics)).problems).toEqual([]);
    expect((await fetch(`${service.telemetryUrl}/health`)).status).toBe(200);

    const slow = fetch(`${service.url}/slow?ms=1500`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    service.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Draining: the telemetry server still answers, and says not ready.
    const draining = await fetch(`${service.telemetryUrl}/health`);
    expect(draining.status).toBe(503);
    const response = await slow;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("slept 1500\n");

    const [code] = await service.exited;
    expect(code).toBe(0);
    // Spans of the slow request were exported before the process exited.
    const names = receiver.traces().map((s) => s.name);
    expect(names).toContain("slow work");
    expect(names).toContain("GET /slow");
    const lines = service.lines;
    const done = lines.find((l) => l.msg === "slow work done");
    expect(done?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["shutting down", "shutdown hook ran", "stopped"]),
    );
    expect(lines.at(-1)?.msg).toBe("stopped");
  });

  it("answers 500 for a throwing handler and keeps running", async () => {
    const service = await startService(receiver);
    expect((await fetch(`${service.url}/boom`)).status).toBe(500);
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    service.child.kill("SIGTERM");
    expect((await service.exited)[0]).toBe(0);
  });

  it("exits at once on a second signal", async () => {
    const service = await startService(receiver);
    const slow = fetch(`${service.url}/slow?ms=10000`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    service.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    service.child.kill("SIGINT");
    const [code] = await service.exited;
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(3000);
    await slow;
  });

  it("exits 0 by itself when a batch main is done, with every span and log line delivered", async () => {
    const batch = spawnCaptured([
      ...NODE_ARGS,
      fileURLToPath(new URL("./fixtures/batch.ts", import.meta.url)),
      "--set",
      "telemetry.logging.format=json",
      "--set",
      `telemetry.tracing.exporter.endpoint=${receiver.endpoint("traces")}`,
    ]);
    const [code] = await batch.exited;
    expect(code).toBe(0);
    // The default batch delay is 5 s: the spans arrived because shutdown flushed them.
    expect(receiver.traces().map((s) => s.name)).toEqual(["job 0", "job 1", "job 2"]);
    const lines = jsonLines(batch.stdout());
    expect(lines.filter((l) => l.msg === "job done")).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({ msg: "stopped", reason: "event loop empty" });
  });

  it.each([
    ["/crash", "uncaught exception"],
    ["/reject", "unhandled rejection"],
  ])("logs %s with its trace context, flushes spans and exits 1", async (path, msg) => {
    const service = await startService(receiver);
    await fetch(`${service.url}${path}`);
    const [code] = await service.exited;
    expect(code).toBe(1);
    const fatal = service.lines.find((l) => l.msg === msg);
    expect(fatal?.level).toBe("fatal");
    expect(fatal?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const request = receiver.traces().find((s) => s.name === `GET ${path}`);
    expect(request?.traceId).toBe(fatal?.trace_id);
  });
});
