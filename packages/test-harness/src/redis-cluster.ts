import { type ChildProcess, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";
import { stopProcess } from "./processes";
import { launch } from "./redis";

const run = promisify(execFile);

/** A Redis Cluster of masters (no replicas) started for a test, on loopback ports. */
export interface RedisCluster {
  /** The masters' addresses, as cluster clients take them. */
  readonly nodes: readonly { host: "127.0.0.1"; port: number }[];
  /**
   * The index in {@link nodes} of the master serving a hash slot.
   *
   * @param slot - 0…16 383.
   */
  nodeForSlot(slot: number): Promise<number>;
  /** The slot Redis computes for a key (`CLUSTER KEYSLOT`). */
  keySlot(key: string): Promise<number>;
  /** Stops one master (SIGTERM); its slots are unserved until it restarts. */
  stopNode(index: number): Promise<void>;
  /**
   * Starts a stopped master again on its port with its cluster configuration
   * (same node ID and slots, no failover took place); its data is gone. Waits
   * until every node reports `cluster_state:ok`.
   */
  restartNode(index: number): Promise<void>;
  /** Stops every node and removes the working directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Number of masters (at least 3, as `redis-cli --cluster create` requires). Default 3. */
  masters?: number;
  /** Path of the redis-server binary. Default `/usr/bin/redis-server`. */
  binary?: string;
  /** Path of redis-cli. Default `/usr/bin/redis-cli`. */
  cli?: string;
  /** How long to wait for the nodes and the cluster to be ready. Default 20 000 ms. */
  readyTimeoutMs?: number;
}

/**
 * Starts a real Redis Cluster: `redis-server --cluster-enabled yes` on free
 * loopback ports (no persistence, 1 s node timeout, partial coverage allowed
 * so the other masters keep serving while one is down), joined with
 * `redis-cli --cluster create … --cluster-yes`, and waits for
 * `cluster_state:ok` on every node. Tests must call `stop()`.
 *
 * @param options - masters (3), binaries, readiness timeout.
 * @returns the running cluster.
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.nodes);
 * try {
 *   await client.set("{user:1}:a", "1");
 * } finally {
 *   client.disconnect();
 *   await cluster.stop();
 * }
 * ```
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisCluster> {
  const masters = Math.max(3, options.masters ?? 3);
  const binary = options.binary ?? "/usr/bin/redis-server";
  const cli = options.cli ?? "/usr/bin/redis-cli";
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), "gw-redis-cluster-"));
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const argsFor = (port: number) => [
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, `nodes-${port}.conf`),
    "--cluster-node-timeout",
    "1000",
    "--cluster-require-full-coverage",
    "no",
    "--dir",
    dir,
  ];
  const children: (ChildProcess | undefined)[] = [];
  const stopChild = async (index: number) => {
    const c = children[index];
    children[index] = undefined;
    if (c) await stopProcess(c);
  };
  const stopAll = async () => {
    await Promise.all(children.map((_, i) => stopChild(i)));
    await rm(dir, { recursive: true, force: true });
  };
  const cliCall = async (port: number, ...args: string[]) =>
    (await run(cli, ["-h", "127.0.0.1", "-p", String(port), ...args])).stdout;

  const waitForOk = async () => {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const states = await Promise.all(
        ports.map((p) => cliCall(p, "cluster", "info").catch(() => "")),
      );
      if (states.every((s) => s.includes("cluster_state:ok"))) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Redis Cluster on ports ${ports.join(", ")} not ready: ${states.join(" | ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  try {
    for (const port of ports)
      children.push(await launch(binary, port, readyTimeoutMs, argsFor(port)));
    await run(cli, [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    await waitForOk();
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    nodes: ports.map((port) => ({ host: "127.0.0.1" as const, port })),
    async nodeForSlot(slot) {
      // CLUSTER NODES: "<id> <ip>:<port>@<cport> <flags> <master> <ping> <pong> <epoch> <link> <slots>…"
      const text = await cliCall(ports[0]!, "cluster", "nodes");
      for (const line of text.trim().split("\n")) {
        const fields = line.trim().split(" ");
        const port = Number(fields[1]?.split("@")[0]?.split(":").at(-1));
        for (const range of fields.slice(8)) {
          if (range.startsWith("[")) continue;
          const [start, end = start] = range.split("-").map(Number);
          if (start !== undefined && end !== undefined && slot >= start && slot <= end) {
            return ports.indexOf(port);
          }
        }
      }
      throw new Error(`no node serves slot ${slot}`);
    },
    async keySlot(key) {
      return Number((await cliCall(ports[0]!, "cluster", "keyslot", key)).trim());
    },
    stopNode: (index) => stopChild(index),
    async restartNode(index) {
      await stopChild(index);
      const port = ports[index]!;
      children[index] = await launch(binary, port, readyTimeoutMs, argsFor(port));
      await waitForOk();
    },
    stop: stopAll,
  };
}
