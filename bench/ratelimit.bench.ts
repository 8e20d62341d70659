// Rate limiting against rate-limiter-flexible, in one process run, in the
// patterns requests make: the in-memory limiter on one key and on 100k keys,
// checks awaited one per tick, and the Redis stores (against the same local
// redis-server, started here, stopped at the end) one at a time, with many
// distinct keys in flight, and under a flood of checks on a denied key.
//
// Measure the built packages: `pnpm build`, then
// `node --import tsx bench/ratelimit.bench.ts` (without `--conditions=source`,
// so `@groundwork/ratelimit` resolves to its dist/).
import { createLimiter } from "@groundwork/ratelimit";
import { createRedisLimiter, ioredisAdapter } from "@groundwork/ratelimit/redis";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { startRedis } from "../packages/test-harness/src/index";
import { compare } from "./compare";

const ROUNDS = 7;
const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
// Limits high enough that every call is admitted on both sides: the cost of
// refusing differs (rate-limiter-flexible rejects a promise) and is measured apart.
const HIGH = 1_000_000_000;

const ours = createLimiter({ rate: `${HIGH}/s`, maxKeys: 2 * KEYS });
const oursMany = createLimiter({ rate: `${HIGH}/min`, maxKeys: 2 * KEYS });
const oursRefusing = createLimiter({ rate: "1/h", burst: 1 });
const peer = new RateLimiterMemory({ points: HIGH, duration: 1 });
const peerMany = new RateLimiterMemory({ points: HIGH, duration: 60 });
const peerRefusing = new RateLimiterMemory({ points: 1, duration: 3_600 });
const noop = () => {};

// rate-limiter-flexible's memory limiter does its work synchronously inside
// consume() and only reports through a promise, so calling it without
// awaiting measures the same work our synchronous check does. The awaited
// cases are the per-request pattern: one check per tick, awaited; runs of
// AWAITED sequential checks keep the harness's own per-sample cost out of it.
const AWAITED = 100;
let i = 0;
let j = 0;
let sink = 0;
await compare(
  "Rate limiting, in memory",
  "rate-limiter-flexible",
  [
    {
      name: `awaited check, 1 key, one per tick (ops = runs of ${AWAITED})`,
      ours: async () => {
        for (let n = 0; n < AWAITED; n++) if ((await ours.check("hot")).allowed) sink++;
      },
      peer: async () => {
        for (let n = 0; n < AWAITED; n++) await peer.consume("hot");
      },
      async: true,
    },
    {
      name: `awaited check, 100k keys, one per tick (ops = runs of ${AWAITED})`,
      ours: async () => {
        for (let n = 0; n < AWAITED; n++) {
          if ((await oursMany.check(keys[i++ % KEYS])).allowed) sink++;
        }
      },
      peer: async () => {
        for (let n = 0; n < AWAITED; n++) await peerMany.consume(keys[j++ % KEYS]!);
      },
      async: true,
    },
    {
      name: "check, 1 key",
      ours: () => {
        if (ours.check("hot").allowed) sink++;
      },
      peer: () => peer.consume("hot"),
      batch: 1_000,
    },
    {
      name: "allow(), 1 key",
      ours: () => {
        if (ours.allow("hot")) sink++;
      },
      peer: () => peer.consume("hot"),
      batch: 1_000,
    },
    {
      name: "check, 100k keys round-robin",
      ours: () => {
        if (oursMany.check(keys[i++ % KEYS]).allowed) sink++;
      },
      peer: () => peerMany.consume(keys[j++ % KEYS]!),
      batch: 1_000,
    },
    {
      name: "check, 1 key, refused",
      ours: () => {
        if (oursRefusing.check("hot").allowed) sink++;
      },
      peer: () => peerRefusing.consume("hot").catch(noop),
      batch: 1_000,
    },
  ],
  { timeMs: 300, rounds: ROUNDS },
);

const redis = await startRedis();
const oursClient = new Redis(redis.url);
const peerClient = new Redis(redis.url);
try {
  const oursRedis = createRedisLimiter({
    client: ioredisAdapter(oursClient),
    rate: `${HIGH}/s`,
    prefix: "bench:gw",
  });
  const peerRedis = new RateLimiterRedis({
    storeClient: peerClient,
    points: HIGH,
    duration: 1,
    keyPrefix: "bench:rlf",
  });
  // A denied key: one unit per hour, spent below, then flooded.
  const oursDenied = createRedisLimiter({
    client: ioredisAdapter(oursClient),
    rate: "1/h",
    burst: 1,
    prefix: "bench:gw:denied",
  });
  const peerDenied = new RateLimiterRedis({
    storeClient: peerClient,
    points: 1,
    duration: 3_600,
    keyPrefix: "bench:rlf:denied",
  });
  // Warm both: our first call loads the script; the denied keys are spent.
  await oursRedis.check("hot");
  await peerRedis.consume("hot");
  await oursDenied.check("abuser");
  await peerDenied.consume("abuser");
  let k = 0;
  let m = 0;
  const IN_FLIGHT = 50;
  const distinct = () => Array.from({ length: IN_FLIGHT }, () => keys[k++ % KEYS]!);
  const distinctPeer = () => Array.from({ length: IN_FLIGHT }, () => keys[m++ % KEYS]!);
  await compare(
    "Rate limiting, Redis store (local redis-server)",
    "rate-limiter-flexible",
    [
      {
        name: "check, 1 key, one at a time",
        ours: () => oursRedis.check("hot"),
        peer: () => peerRedis.consume("hot"),
        async: true,
      },
      {
        name: "check, 100k keys, one at a time",
        ours: () => oursRedis.check(keys[k++ % KEYS]),
        peer: () => peerRedis.consume(keys[m++ % KEYS]!),
        async: true,
      },
      {
        name: `check, ${IN_FLIGHT} distinct keys in flight (ops = batches)`,
        ours: () => Promise.all(distinct().map((key) => oursRedis.check(key))),
        peer: () => Promise.all(distinctPeer().map((key) => peerRedis.consume(key))),
        async: true,
      },
      {
        name: `check, 1 key, ${IN_FLIGHT} in flight (ops = batches)`,
        ours: () => Promise.all(Array.from({ length: IN_FLIGHT }, () => oursRedis.check("hot"))),
        peer: () => Promise.all(Array.from({ length: IN_FLIGHT }, () => peerRedis.consume("hot"))),
        async: true,
      },
      {
        name: `denied key flooded, ${IN_FLIGHT} in flight (ops = batches)`,
        ours: () =>
          Promise.all(Array.from({ length: IN_FLIGHT }, () => oursDenied.check("abuser"))),
        peer: () =>
          Promise.all(
            Array.from({ length: IN_FLIGHT }, () => peerDenied.consume("abuser").catch(noop)),
          ),
        async: true,
      },
    ],
    { timeMs: 500, rounds: ROUNDS },
  );
  if (oursRedis.stats().errors > 0 || oursDenied.stats().errors > 0) {
    throw new Error("Redis errors during the benchmark");
  }
} finally {
  oursClient.disconnect();
  peerClient.disconnect();
  await redis.stop();
}
if (sink < 0) console.log(sink);
