import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports";
import { stopProcess } from "./processes";
import { spawnFailure } from "./spawn-failure";

/** One element of an instant-vector query result. */
export interface PromSample {
  /** The series labels, `__name__` included. */
  readonly metric: Readonly<Record<string, string>>;
  /** The sample value as Prometheus prints it (`"1"`, `"NaN"`, `"+Inf"`). */
  readonly value: string;
}

/** The scrape target as `/api/v1/targets` reports it. */
export interface PromTarget {
  readonly health: "up" | "down" | "unknown";
  readonly lastError: string;
  readonly lastScrape: string;
  readonly scrapeUrl: string;
}

/** A Prometheus server started for a test. */
export interface PrometheusServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Runs an instant PromQL query and returns the vector. */
  query(promql: string): Promise<PromSample[]>;
  /** Calls any HTTP API path (`/api/v1/…`) and returns its `data`; throws on `status: "error"`. */
  api<T>(path: string, params?: Readonly<Record<string, string>>): Promise<T>;
  /**
   * Resolves with the target after a scrape that started after this call
   * succeeded; rejects with the scrape error if it failed, or on timeout.
   * @param timeoutMs - default 15 000
   */
  waitForScrape(timeoutMs?: number): Promise<PromTarget>;
  /** Stops the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** The `host:port` to scrape, e.g. `127.0.0.1:40123`. */
  target: string;
  /** Path scraped on the target. Default `/metrics`. */
  metricsPath?: string;
  /** Scrape interval (and timeout) in milliseconds. Default 500. */
  scrapeIntervalMs?: number;
  /** Path of the binary. Default `/usr/bin/prometheus`. */
  binary?: string;
  /** How long to wait for `/-/ready`. Default 20 000 ms. */
  readyTimeoutMs?: number;
}

/**
 * Starts `prometheus` on a free loopback port with a temporary config and data
 * directory, scraping one target at a short interval. Tests must call
 * `stop()` (usually in `afterAll`).
 *
 * @param options - the target to scrape; the rest has defaults suiting Debian's package
 * @returns the running server
 * @example
 * ```ts
 * const prom = await startPrometheus({ target: `127.0.0.1:${port}` });
 * try {
 *   await prom.waitForScrape();
 *   const [sample] = await prom.query("up");
 * } finally {
 *   await prom.stop();
 * }
 * ```
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? "/usr/bin/prometheus";
  const intervalMs = options.scrapeIntervalMs ?? 500;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), "gw-prometheus-"));
  const config = [
    "global:",
    `  scrape_interval: ${intervalMs}ms`,
    `  scrape_timeout: ${intervalMs}ms`,
    "scrape_configs:",
    "  - job_name: test",
    `    metrics_path: ${JSON.stringify(options.metricsPath ?? "/metrics")}`,
    "    static_configs:",
    `      - targets: [${JSON.stringify(options.target)}]`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  const { port, url, stop } = await startDaemon(
    binary,
    (listen) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${listen}`,
      "--log.level=warn",
    ],
    readyTimeoutMs,
    () => rm(dir, { recursive: true, force: true }),
  );

  const api = async <T>(
    path: string,
    params: Readonly<Record<string, string>> = {},
  ): Promise<T> => {
    const query = new URLSearchParams(params).toString();
    const res = await fetch(`${url}${path}${query ? `?${query}` : ""}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success")
      throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };

  const target = async (): Promise<PromTarget | undefined> => {
    const data = await api<{ activeTargets: PromTarget[] }>("/api/v1/targets");
    return data.activeTargets[0];
  };

  return {
    port,
    url,
    api,
    async query(promql) {
      const data = await api<{
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>("/api/v1/query", { query: promql });
      if (data.resultType !== "vector")
        throw new Error(`expected a vector, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: r.value[1] }));
    },
    async waitForScrape(timeoutMs = 15_000) {
      const since = Date.now();
      const deadline = since + timeoutMs;
      let last: PromTarget | undefined;
      while (Date.now() < deadline) {
        last = await target();
        // lastScrape is the start time of the scrape; a successful scrape that
        // began after `since` has stored its samples.
        if (last && Date.parse(last.lastScrape) > since && last.health !== "unknown") {
          if (last.health === "up") return last;
          throw new Error(`scrape of ${last.scrapeUrl} failed: ${last.lastError}`);
        }
        await sleep(100);
      }
      throw new Error(`no scrape within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    },
    stop,
  };
}

/** A Prometheus Pushgateway started for a test. */
export interface PushgatewayServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What it would serve to a scraper (`GET /metrics`, text format). */
  scrape(): Promise<string>;
  /** Its JSON view of the pushed groups (`GET /api/v1/metrics`). */
  groups(): Promise<PushgatewayGroup[]>;
  /** Stops the server. Safe to call twice. */
  stop(): Promise<void>;
}

/** One pushed group as `/api/v1/metrics` reports it. */
export interface PushgatewayGroup {
  /** The grouping labels (`job`, …). */
  readonly labels: Readonly<Record<string, string>>;
  /** The metric families by name, plus bookkeeping entries (`push_time_seconds`…). */
  readonly [name: string]: unknown;
}

/**
 * Starts `prometheus-pushgateway` (Debian's package) on a free loopback port
 * without persistence. Tests must call `stop()`.
 *
 * @param binary - default `/usr/bin/prometheus-pushgateway`
 * @returns the running gateway
 * @example
 * ```ts
 * const gateway = await startPushgateway();
 * try {
 *   // push to gateway.url, then: expect(await gateway.scrape()).toContain("my_metric");
 * } finally {
 *   await gateway.stop();
 * }
 * ```
 */
export async function startPushgateway(
  binary = "/usr/bin/prometheus-pushgateway",
): Promise<PushgatewayServer> {
  const { port, url, stop } = await startDaemon(
    binary,
    (listen) => [`--web.listen-address=${listen}`, "--log.level=warn"],
    10_000,
  );
  return {
    port,
    url,
    async scrape() {
      const res = await fetch(`${url}/metrics`);
      return res.text();
    },
    async groups() {
      const res = await fetch(`${url}/api/v1/metrics`);
      const body = (await res.json()) as { status: string; data: PushgatewayGroup[] };
      return body.data;
    },
    stop,
  };
}

/** What {@link checkMetrics} found. */
export interface PromtoolVerdict {
  /** promtool exited 0: parsed and no lint problems. */
  readonly ok: boolean;
  /** 0 clean, 3 lint problems, 1 parse or other error. */
  readonly exitCode: number;
  /** stdout and stderr together. */
  readonly output: string;
  /** One entry per non-empty output line. */
  readonly problems: readonly string[];
}

/**
 * Pipes exposition text to `promtool check metrics` and returns its verdict.
 * promtool parses the Prometheus text format (OpenMetrics-only lines such as
 * `# EOF` are comments to it) and lints names, help and types.
 *
 * @param text - the exposition to check
 * @param binary - default `/usr/bin/promtool`
 * @returns exit code, output and the problems it listed
 * @example
 * ```ts
 * const verdict = await checkMetrics(registry.collect());
 * expect(verdict.problems).toEqual([]);
 * ```
 */
export async function checkMetrics(
  text: string,
  binary = "/usr/bin/promtool",
): Promise<PromtoolVerdict> {
  const child = spawn(binary, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  // A missing binary is reported by the spawn failure below, not as a broken pipe.
  child.stdin.on("error", () => {});
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = (once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>).catch(
    (error: Error) => {
      throw spawnFailure(binary, error);
    },
  );
  child.stdin.end(text);
  const [code] = await exited;
  const exitCode = code ?? -1;
  const problems = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return { ok: exitCode === 0, exitCode, output, problems };
}

/**
 * Starts a Prometheus-family daemon on a free loopback port and waits until
 * it answers; `stop()` kills it and then runs `cleanup`. A daemon that fails
 * to get ready is stopped and the error names its last stderr output.
 */
async function startDaemon(
  binary: string,
  args: (listenAddress: string) => string[],
  readyTimeoutMs: number,
  cleanup: () => Promise<void> = async () => {},
): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, args(`127.0.0.1:${port}`), { stdio: ["ignore", "ignore", "pipe"] });
  let failure: Error | undefined;
  child.once("error", (error) => {
    failure = spawnFailure(binary, error);
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopProcess(child, 5_000);
    await cleanup();
  };
  try {
    await waitReady(
      child,
      url,
      readyTimeoutMs,
      () => stderr,
      () => failure,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url, stop };
}

async function waitReady(
  child: ChildProcess,
  url: string,
  timeoutMs: number,
  log: () => string,
  failure: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const error = failure();
    if (error !== undefined) throw error;
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with code ${child.exitCode}: ${log().trim()}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms: ${log().trim()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
