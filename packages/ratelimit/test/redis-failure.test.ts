import { type RedisServer, startRedis } from "@groundwork/test-harness";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiter, type RateLimitError } from "../src/index";
import {
  createRedisLimiter,
  ioredisAdapter,
  nodeRedisAdapter,
  type RedisLimiter,
} from "../src/redis/index";

// Its own server: these tests stop and restart it.
let server: RedisServer;
let io: Redis;
let nodeRedis: ReturnType<typeof createClient>;

beforeAll(async () => {
  server = await startRedis();
  // As the guide recommends: no offline queue, so a check issued while Redis
  // is away fails now instead of running (and consuming) after reconnection.
  io = new Redis(server.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => 50,
  });
  io.on("error", () => {});
  await io.connect();
  nodeRedis = createClient({
    url: server.url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50 },
  });
  nodeRedis.on("error", () => {});
  await nodeRedis.connect();
}, 30_000);

afterAll(async () => {
  io?.disconnect();
  nodeRedis?.destroy();
  await server?.stop();
});

async function waitUntilAnswering(l: RedisLimiter, key: string): Promise<void> {
  const before = l.stats().checks;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await l.check(key, { cost: 0 });
    if (l.stats().checks > before) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("Redis did not come back");
}

describe("redis store when Redis goes away", () => {
  it("follows the fail policy during a restart, counts errors, and recovers", async () => {
    const seen: RateLimitError[] = [];
    const common = { rate: "1/min", burst: 2, timeoutMs: 300 } as const;
    const open = createRedisLimiter({ ...common, client: ioredisAdapter(io), prefix: "open" });
    const closed = createRedisLimiter({
      ...common,
      client: nodeRedisAdapter(nodeRedis),
      prefix: "closed",
      fail: "closed",
      onError: (e) => seen.push(e),
    });
    const fallback = createLimiter({ rate: "1/min", burst: 1 });
    const withFallback = createRedisLimiter({
      ...common,
      client: ioredisAdapter(io),
      prefix: "fallback",
      fallback,
    });
    const throwing = createRedisLimiter({
      ...common,
      client: ioredisAdapter(io),
      prefix: "throwing",
      throwOnError: true,
    });

    // Healthy: Redis decides.
    expect((await open.check("k")).remaining).toBe(1);
    expect((await closed.check("k")).remaining).toBe(1);

    await server.stop();

    const admitted = await open.check("k");
    expect(admitted.allowed).toBe(true);
    expect(admitted.remaining).toBeNaN();
    expect(await open.check("k")).toMatchObject({ allowed: true });
    const refused = await closed.check("k");
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBeNaN();
    expect(refused.retryAfterMs).toBe(60_000);
    expect(seen.length).toBe(1);
    expect(seen[0]?.code).toBe("ERR_STORE_UNAVAILABLE");
    expect((await withFallback.check("k")).allowed).toBe(true);
    expect((await withFallback.check("k")).allowed).toBe(false);
    await expect(throwing.check("k")).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect(open.stats().errors).toBe(2);
    expect(closed.stats().errors).toBe(1);
    expect(withFallback.stats().errors).toBe(2);

    await server.restart();

    // A fresh server: state and the script cache are gone; NOSCRIPT triggers a reload.
    await waitUntilAnswering(open, "probe");
    await waitUntilAnswering(closed, "probe");
    expect((await open.check("k")).remaining).toBe(1);
    expect(await closed.check("k")).toMatchObject({ allowed: true, remaining: 1 });
    expect((await withFallback.check("k")).remaining).toBe(1);
  }, 60_000);

  it("applies the fail policy when Redis does not answer within timeoutMs", async () => {
    const admin = new Redis(server.url);
    try {
      const l = createRedisLimiter({
        client: ioredisAdapter(io),
        rate: "1/s",
        prefix: "paused",
        fail: "closed",
        timeoutMs: 200,
      });
      await waitUntilAnswering(l, "probe");
      // CLIENT PAUSE makes the server hold every other client's commands.
      await admin.call("CLIENT", "PAUSE", "1000", "ALL");
      const started = performance.now();
      const r = await l.check("k");
      const waited = performance.now() - started;
      expect(r.allowed).toBe(false);
      expect(waited).toBeGreaterThanOrEqual(190);
      expect(waited).toBeLessThan(900);
      expect(l.stats().lastError?.message).toMatch(/did not answer within 200 ms/);
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
      admin.disconnect();
    }
  }, 30_000);
});
