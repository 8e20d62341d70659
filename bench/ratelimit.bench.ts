// Rate limiting against rate-limiter-flexible, in one process run: the
// in-memory limiter on one key and on 100k keys, and the Redis stores
// against the same local redis-server (started here, stopped at the end).
import { createLimiter } from "@groundwork/ratelimit";
import { createRedisLimiter, ioredisAdapter } from "@groundwork/ratelimit/redis";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { startRedis } from "../packages/test-support/src/index";
import { compare } from "./compare";

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
// Limits high enough that every call is admitted on both sides: the cost of
// refusing differs (rate-limiter-flexible rejects a promise) and is measured apart.
const HIGH = 1_000_000_000;

const ours = createLimiter({ rate: `${HIGH}/s`, maxKeys: 2 * KEYS });
// The default clock is read at most once per microtask checkpoint (and again
// before refusing); this one reads performance.now() on every call, as the peer
// reads Date.now(), to show what that caching is worth.
const oursPrecise = createLimiter({ rate: `${HIGH}/s`, clock: () => performance.now() });
const oursMany = createLimiter({ rate: `${HIGH}/min`, maxKeys: 2 * KEYS });
const oursRefusing = createLimiter({ rate: "1/h", burst: 1 });
const peer = new RateLimiterMemory({ points: HIGH, duration: 1 });
const peerMany = new RateLimiterMemory({ points: HIGH, duration: 60 });
const peerRefusing = new RateLimiterMemory({ points: 1, duration: 3_600 });
const noop = () => {};

// rate-limiter-flexible's memory limiter does its work synchronously inside
// consume() and only reports through a promise, so calling it without
// awaiting measures the same work our synchronous check does.
let i = 0;
let j = 0;
let sink = 0;
await compare(
  "Rate limiting, in memory",
  "rate-limiter-flexible",
  [
    {
      name: "check, 1 key",
      ours: () => {
        if (ours.check("hot").allowed) sink++;
      },
      peer: () => peer.consume("hot"),
      batch: 1_000,
    },
    {
      name: "check, 1 key, clock read on every call",
      ours: () => {
        if (oursPrecise.check("hot").allowed) sink++;
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
    {
      name: "awaited check, 1 key",
      ours: () => ours.check("hot"),
      peer: () => peer.consume("hot"),
      async: true,
    },
  ],
  { timeMs: 1_000 },
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
  // Warm both: our first call loads the script.
  await oursRedis.check("hot");
  await peerRedis.consume("hot");
  let k = 0;
  let m = 0;
  const CONCURRENT = 50;
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
        name: `check, 1 key, ${CONCURRENT} in flight (ops = batches)`,
        ours: () => Promise.all(Array.from({ length: CONCURRENT }, () => oursRedis.check("hot"))),
        peer: () => Promise.all(Array.from({ length: CONCURRENT }, () => peerRedis.consume("hot"))),
        async: true,
      },
    ],
    { timeMs: 1_500 },
  );
  if (oursRedis.stats().errors > 0) throw new Error("Redis errors during the benchmark");
} finally {
  oursClient.disconnect();
  peerClient.disconnect();
  await redis.stop();
}
if (sink < 0) console.log(sink);
