// Where the time of a Redis rate-limit check goes, against rate-limiter-flexible
// on the same client library (ioredis), in figures that do not depend on how
// loaded the machine is: Redis server time per check (`INFO commandstats`),
// bytes on the wire per check (`INFO stats`), client CPU per check
// (`process.cpuUsage`) and heap allocated per check.
//
// Measure the built packages: `pnpm build`, then
// `node --import tsx bench/ratelimit-redis-cost.bench.ts`. The script restarts
// itself with a young generation large enough that no collection runs while
// allocations are counted. Each side runs alone against a fresh
// `redis-server` statistics window; the rounds alternate the sides.
// `BENCH_BASELINE=<file>` adds a third side: the Redis store of another
// revision, from that file (a bundle of its `src/redis/index.ts`).
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createRedisLimiter, ioredisAdapter } from "@groundwork/ratelimit/redis";
import { Redis } from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { startRedis } from "../packages/test-harness/src/index";
import { median } from "./compare";

const SEMI_SPACE = "--min-semi-space-size=128";
if (!process.execArgv.includes(SEMI_SPACE)) {
  const child = spawnSync(
    process.execPath,
    [SEMI_SPACE, "--max-semi-space-size=128", ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(child.status ?? 1);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const IN_FLIGHT = 50;
const CHECKS = 20_000;
const HIGH = 1_000_000_000;

interface Side {
  name: string;
  /** One operation: `IN_FLIGHT` checks on distinct keys, or one check. */
  distinct: (keys: string[]) => Promise<unknown>;
  single: (key: string) => Promise<unknown>;
}

interface Cost {
  serverUs: number;
  serverCpuUs: number;
  calls: number;
  bytesIn: number;
  bytesOut: number;
  cpuUs: number;
  heapBytes: number;
}

const redis = await startRedis();
const admin = new Redis(redis.url);
const oursClient = new Redis(redis.url);
const peerClient = new Redis(redis.url);
let keyCounter = 0;
const nextKeys = (n: number) => Array.from({ length: n }, () => `user:${keyCounter++ % 100_000}`);

const oursLimiter = createRedisLimiter({
  client: ioredisAdapter(oursClient),
  rate: `${HIGH}/s`,
  prefix: "bench:gw",
});
const peerLimiter = new RateLimiterRedis({
  storeClient: peerClient,
  points: HIGH,
  duration: 1,
  keyPrefix: "bench:rlf",
});
const sides: Side[] = [
  {
    name: "groundwork",
    distinct: (keys) => Promise.all(keys.map((k) => oursLimiter.check(k))),
    single: (key) => oursLimiter.check(key),
  },
  {
    name: "rate-limiter-flexible",
    distinct: (keys) => Promise.all(keys.map((k) => peerLimiter.consume(k))),
    single: (key) => peerLimiter.consume(key),
  },
];

async function stats(): Promise<{
  usec: number;
  cpuUs: number;
  calls: number;
  bytesIn: number;
  bytesOut: number;
}> {
  const info = await admin.info("commandstats");
  let usec = 0;
  let calls = 0;
  // Scripts: the whole run of the script, nested commands included.
  for (const m of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  const net = await admin.info("stats");
  const bytesIn = Number(/total_net_input_bytes:(\d+)/.exec(net)?.[1]);
  const bytesOut = Number(/total_net_output_bytes:(\d+)/.exec(net)?.[1]);
  // The server process's CPU time: unlike commandstats (wall time inside
  // the command), not inflated while the server waits for a core.
  const cpu = await admin.info("cpu");
  const cpuUs =
    (Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]) +
      Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1])) *
    1e6;
  return { usec, cpuUs, calls, bytesIn, bytesOut };
}

async function measure(run: () => Promise<unknown>, ops: number, checksPerOp: number) {
  // Warm the path (JIT, script cache) before counting.
  for (let i = 0; i < 200; i++) await run();
  await admin.config("RESETSTAT");
  const before = await stats();
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcStarts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ["gc"] });
  // Heap growth over the first eighth of the operations, short enough that
  // the young generation holds all of it on both sides.
  const heapOps = Math.ceil(ops / 8);
  let heapAfter = 0;
  let heapEnd = 0;
  const heapStart = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < ops; i++) {
    await run();
    if (i === heapOps - 1) {
      heapAfter = process.memoryUsage().heapUsed;
      heapEnd = performance.now();
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  const after = await stats();
  await new Promise((r) => setTimeout(r, 20));
  observer.disconnect();
  const checks = ops * checksPerOp;
  const collections = gcStarts.filter((t) => t >= heapStart && t <= heapEnd).length;
  const cost: Cost = {
    serverUs: (after.usec - before.usec) / checks,
    serverCpuUs: (after.cpuUs - before.cpuUs) / checks,
    calls: (after.calls - before.calls) / checks,
    bytesIn: (after.bytesIn - before.bytesIn) / checks,
    bytesOut: (after.bytesOut - before.bytesOut) / checks,
    cpuUs: (cpu.user + cpu.system) / checks,
    heapBytes: collections === 0 ? (heapAfter - heapBefore) / (heapOps * checksPerOp) : Number.NaN,
  };
  return cost;
}

const cases = [
  {
    name: `${IN_FLIGHT} distinct keys in flight`,
    run: (s: Side) => measure(() => s.distinct(nextKeys(IN_FLIGHT)), CHECKS / IN_FLIGHT, IN_FLIGHT),
  },
  {
    name: "one at a time, distinct keys",
    run: (s: Side) => measure(() => s.single(nextKeys(1)[0]!), CHECKS / 4, 1),
  },
];

const baselinePath = process.env.BENCH_BASELINE;
const baselineClient = baselinePath ? new Redis(redis.url) : undefined;
if (baselinePath && baselineClient) {
  const baseline = (await import(pathToFileURL(resolve(baselinePath)).href)) as {
    createRedisLimiter: typeof createRedisLimiter;
    ioredisAdapter: typeof ioredisAdapter;
  };
  const baselineLimiter = baseline.createRedisLimiter({
    client: baseline.ioredisAdapter(baselineClient),
    rate: `${HIGH}/s`,
    prefix: "bench:base",
  });
  sides.push({
    name: "baseline",
    distinct: (keys) => Promise.all(keys.map((k) => baselineLimiter.check(k))),
    single: (key) => baselineLimiter.check(key),
  });
}

try {
  console.log(
    `\n## Redis rate-limit check cost — Node ${process.version}, median of ${ROUNDS} rounds, load average ${(await import("node:os")).loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(
    "| case | side | Redis µs/check (commandstats) | Redis CPU µs/check | script calls/check | bytes sent/check | bytes received/check | client CPU µs/check | heap bytes/check |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const c of cases) {
    const results: Cost[][] = sides.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = sides.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) results[i]!.push(await c.run(sides[i]!));
    }
    sides.forEach((s, i) => {
      const m = (f: (x: Cost) => number) => median(results[i]!.map(f));
      console.log(
        `| ${c.name} | ${s.name} | ${m((x) => x.serverUs).toFixed(2)} | ${m((x) => x.serverCpuUs).toFixed(2)} | ${m((x) => x.calls).toFixed(3)} | ${m((x) => x.bytesIn).toFixed(1)} | ${m((x) => x.bytesOut).toFixed(1)} | ${m((x) => x.cpuUs).toFixed(1)} | ${m((x) => x.heapBytes).toFixed(0)} |`,
      );
    });
  }
  if (oursLimiter.stats().errors > 0) throw new Error("Redis errors during the benchmark");
} finally {
  admin.disconnect();
  oursClient.disconnect();
  peerClient.disconnect();
  baselineClient?.disconnect();
  await redis.stop();
}
