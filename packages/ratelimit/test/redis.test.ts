import { type RedisServer, startRedis } from "@groundwork/test-harness";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRedisLimiter,
  GCRA_SCRIPT,
  ioredisAdapter,
  nodeRedisAdapter,
  type RedisScriptClient,
} from "../src/redis/index";
import { limiterConformance } from "./conformance";

type NodeRedisClient = ReturnType<typeof createClient>;

let server: RedisServer;
let io: Redis;
let nodeRedis: NodeRedisClient;
let prefixCounter = 0;
const prefix = () => `test:${process.pid}:${prefixCounter++}`;

/** The test's ioredis client, telling `onCall` of every script call before it goes out. */
function observedClient(onCall: (keys: string[], args: string[]) => void): RedisScriptClient {
  const inner = ioredisAdapter(io);
  return {
    evalsha: (sha, keys, args) => {
      onCall(keys, args);
      return inner.evalsha(sha, keys, args);
    },
    scriptLoad: (script) => inner.scriptLoad(script),
  };
}

beforeAll(async () => {
  server = await startRedis();
  io = new Redis(server.url, { lazyConnect: true });
  await io.connect();
  nodeRedis = createClient({ url: server.url });
  nodeRedis.on("error", () => {});
  await nodeRedis.connect();
}, 30_000);

afterAll(async () => {
  io?.disconnect();
  await nodeRedis?.close();
  await server?.stop();
});

limiterConformance({
  name: "redis via ioredis",
  exact: true,
  create: ({ rate, burst }) =>
    createRedisLimiter({ client: ioredisAdapter(io), rate, burst, prefix: prefix() }),
});

limiterConformance({
  name: "redis via node-redis",
  exact: true,
  create: ({ rate, burst }) =>
    createRedisLimiter({ client: nodeRedisAdapter(nodeRedis), rate, burst, prefix: prefix() }),
});

describe("redis store against a real redis-server", () => {
  it("many concurrent clients on one key never exceed the burst (exact count)", async () => {
    const p = prefix();
    const clients = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new Redis(server.url, { lazyConnect: true });
        await c.connect();
        return c;
      }),
    );
    try {
      const limiters = [
        ...clients.map((c) =>
          createRedisLimiter({ client: ioredisAdapter(c), rate: "1/min", burst: 50, prefix: p }),
        ),
        createRedisLimiter({
          client: nodeRedisAdapter(nodeRedis),
          rate: "1/min",
          burst: 50,
          prefix: p,
        }),
      ];
      const results = await Promise.all(
        Array.from({ length: 900 }, (_, i) => limiters[i % limiters.length]!.check("hot")),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(50);
      expect(Math.min(...results.map((r) => r.remaining))).toBe(0);
    } finally {
      for (const c of clients) c.disconnect();
    }
  }, 30_000);

  it("admits within rate × window + burst while clients hammer a key for a second", async () => {
    const p = prefix();
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new Redis(server.url, { lazyConnect: true });
        await c.connect();
        return c;
      }),
    );
    try {
      const limiters = clients.map((c) =>
        createRedisLimiter({ client: ioredisAdapter(c), rate: "20/s", burst: 5, prefix: p }),
      );
      let admitted = 0;
      const start = performance.now();
      const deadline = start + 1_000;
      await Promise.all(
        limiters.flatMap((l) =>
          Array.from({ length: 4 }, async () => {
            while (performance.now() < deadline) if ((await l.check("hot")).allowed) admitted++;
          }),
        ),
      );
      const elapsed = performance.now() - start;
      // Interval 50 ms: the window the server saw is inside [start, end].
      expect(admitted).toBeLessThanOrEqual(5 + Math.ceil(elapsed / 50));
      // Not far below either; client stalls on a loaded machine can waste refill.
      expect(admitted).toBeGreaterThanOrEqual(Math.floor(elapsed / 50) / 2);
    } finally {
      for (const c of clients) c.disconnect();
    }
  }, 30_000);

  it("two limiter instances on different clients share one state", async () => {
    const p = prefix();
    const a = createRedisLimiter({
      client: ioredisAdapter(io),
      rate: "1/min",
      burst: 3,
      prefix: p,
    });
    const b = createRedisLimiter({
      client: nodeRedisAdapter(nodeRedis),
      rate: "1/min",
      burst: 3,
      prefix: p,
    });
    expect((await a.check("user")).remaining).toBe(2);
    expect((await b.check("user")).remaining).toBe(1);
    expect((await a.check("user")).remaining).toBe(0);
    const refused = await b.check("user");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(59_000);
  });

  it("gives keys a TTL so idle keys vanish", async () => {
    const p = prefix();
    const l = createRedisLimiter({ client: ioredisAdapter(io), rate: "20/s", burst: 2, prefix: p });
    const r = await l.check("ttl");
    const ttl = await io.pttl(`${p}:ttl`);
    expect(ttl).toBeGreaterThan(0);
    // PX is rounded up to the millisecond.
    expect(ttl).toBeLessThanOrEqual(Math.ceil(r.resetAfterMs) + 1);
    await l.check();
    expect(await io.exists(p)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await io.exists(`${p}:ttl`, p)).toBe(0);
  });

  it("a refused check writes nothing and cost 0 creates no key", async () => {
    const p = prefix();
    const l = createRedisLimiter({ client: ioredisAdapter(io), rate: "1/s", burst: 1, prefix: p });
    expect((await l.check("peek", { cost: 0 })).allowed).toBe(true);
    expect(await io.exists(`${p}:peek`)).toBe(0);
    expect((await l.check("big", { cost: 2 })).allowed).toBe(false);
    expect(await io.exists(`${p}:big`)).toBe(0);
  });

  it("reloads the script after SCRIPT FLUSH", async () => {
    const l = createRedisLimiter({
      client: ioredisAdapter(io),
      rate: "1/s",
      burst: 5,
      prefix: prefix(),
    });
    expect((await l.check("k")).remaining).toBe(4);
    await io.script("FLUSH");
    expect((await l.check("k")).remaining).toBe(3);
    expect(l.stats()).toMatchObject({ checks: 2, errors: 0 });
  });

  it("loads the script once for concurrent first checks; distinct keys in one tick share a call", async () => {
    const calls: string[] = [];
    const inner = ioredisAdapter(io);
    const counting: RedisScriptClient = {
      evalsha: (sha, keys, args) => {
        // One check of cost 1 per key: no per-key arguments.
        expect(args).toEqual(["100", "1000"]);
        calls.push(`evalsha ${keys.length}`);
        return inner.evalsha(sha, keys, args);
      },
      scriptLoad: (script) => {
        calls.push("load");
        expect(script).toBe(GCRA_SCRIPT);
        return inner.scriptLoad(script);
      },
    };
    const l = createRedisLimiter({ client: counting, rate: "10/s", prefix: prefix() });
    await Promise.all([l.check("a"), l.check("b"), l.check("c")]);
    await l.check("d");
    // "a" goes out at once (after the load); "b" and "c", made while it is in
    // flight, share the next call; "d" finds nothing in flight.
    expect(calls).toEqual(["load", "evalsha 1", "evalsha 2", "evalsha 1"]);
  });

  it("sends a lone check at once and batches the checks made while a call is in flight", async () => {
    const calls: string[][] = [];
    const counting = observedClient((keys) => calls.push(keys));
    const p = prefix();
    const l = createRedisLimiter({ client: counting, rate: "10/s", prefix: p });
    await l.check("warm-up");
    calls.length = 0;
    // Nothing queued, nothing in flight: EVALSHA is issued inside check().
    const lone = l.check("lone");
    expect(calls).toEqual([[`${p}:lone`]]);
    // While it is in flight, further checks wait for the end of the tick, then go together.
    const more = [l.check("a"), l.check("b"), l.check("a")];
    expect(calls).toHaveLength(1);
    await Promise.resolve();
    expect(calls).toEqual([[`${p}:lone`], [`${p}:a`, `${p}:b`]]);
    const results = await Promise.all([lone, ...more]);
    expect(results.map((r) => r.remaining)).toEqual([9, 9, 9, 8]);
    // Answered: the next lone check goes out at once again.
    const later = l.check("later");
    expect(calls).toHaveLength(3);
    expect((await later).allowed).toBe(true);
  });

  it("decides the checks made on one key in one tick in order, all but the first in one script call", async () => {
    const calls: string[][] = [];
    const counting = observedClient((_keys, args) => calls.push(args));
    const l = createRedisLimiter({ client: counting, rate: "1/min", burst: 5, prefix: prefix() });
    await l.check("warm-up");
    calls.length = 0;
    const results = await Promise.all(Array.from({ length: 8 }, () => l.check("hot")));
    expect(calls).toEqual([
      // A lone check of cost 1 carries no per-key arguments.
      ["60000", "300000"],
      ["60000", "300000", "7", "1", "1", "1", "1", "1", "1", "1"],
    ]);
    expect(results.map((r) => r.allowed)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
    // Refusals in one call see the same state: the same wait for all of them.
    const waits = results.slice(5).map((r) => r.retryAfterMs);
    expect(new Set(waits).size).toBe(1);
    expect(waits[0]).toBeGreaterThan(59_000);
    expect(l.stats()).toMatchObject({ checks: 9, errors: 0 });
  });

  it("decides 150 checks on 50 distinct keys in flight with few script calls, each exactly", async () => {
    const calls: string[][] = [];
    const counting = observedClient((keys) => calls.push(keys));
    const l = createRedisLimiter({ client: counting, rate: "1/min", burst: 2, prefix: prefix() });
    await l.check("warm-up");
    calls.length = 0;
    const keys = Array.from({ length: 50 }, (_, i) => `user:${i}`);
    // Each key checked three times in the tick: allowed, allowed, refused.
    const results = await Promise.all(keys.flatMap((k) => [l.check(k), l.check(k), l.check(k)]));
    // The first at once, then the other 149 at the end of the tick, at most 128 per call.
    expect(calls.map((keysOfCall) => keysOfCall.length)).toEqual([1, 43, 7]);
    expect(new Set(calls.flat()).size).toBe(50);
    for (let i = 0; i < 50; i++) {
      expect(results.slice(i * 3, i * 3 + 3).map((r) => [r.allowed, r.remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
    }
  });

  it("answers a flood on a denied key locally until its next unit accrues", async () => {
    let calls = 0;
    const counting = observedClient(() => calls++);
    const l = createRedisLimiter({ client: counting, rate: "5/s", burst: 1, prefix: prefix() });
    expect((await l.check("abuser")).allowed).toBe(true);
    const first = await l.check("abuser");
    expect(first).toMatchObject({ allowed: false, remaining: 0 });
    calls = 0;
    const flood = await Promise.all(Array.from({ length: 1_000 }, () => l.check("abuser")));
    expect(calls).toBe(0);
    expect(l.stats().localDenials).toBe(1_000);
    for (const r of flood) {
      expect(r).toMatchObject({ allowed: false, remaining: 0 });
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs);
    }
    // A peek and other keys still ask Redis.
    expect((await l.check("abuser", { cost: 0 })).allowed).toBe(true);
    expect((await l.check("someone-else")).allowed).toBe(true);
    expect(calls).toBe(2);
    // Once the next unit has accrued, Redis decides again, and admits.
    await new Promise((r) => setTimeout(r, first.retryAfterMs + 10));
    expect((await l.check("abuser")).allowed).toBe(true);
    expect(calls).toBe(3);
  });

  it("keeps the deny cache bounded", async () => {
    const l = createRedisLimiter({
      client: ioredisAdapter(io),
      rate: "1/min",
      burst: 1,
      prefix: prefix(),
      denyCacheSize: 10,
    });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => l.check(k)));
    await Promise.all(keys.map((k) => l.check(k))); // 30 refusals, 10 remembered
    const before = l.stats().checks;
    await Promise.all(keys.map((k) => l.check(k)));
    expect(l.stats().localDenials).toBe(10);
    expect(l.stats().checks - before).toBe(20);
  });

  it("applies each check's cost in turn within one call", async () => {
    const l = createRedisLimiter({
      client: ioredisAdapter(io),
      rate: "1/min",
      burst: 4,
      prefix: prefix(),
    });
    const costs = [2, 0, 1, 5, 1, 1];
    const results = await Promise.all(costs.map((cost) => l.check("mixed", { cost })));
    // 2 of 4 used, a peek, 1 more, 5 can never fit, the last one left, then none.
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 2],
      [true, 1],
      [false, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(results[3]!.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("splits a large tick into calls of at most 128 checks and stays exact", async () => {
    let calls = 0;
    const counting = observedClient((keys, args) => {
      calls++;
      expect(args.length - 2 - keys.length).toBeLessThanOrEqual(128);
    });
    const l = createRedisLimiter({ client: counting, rate: "1/min", burst: 200, prefix: prefix() });
    await l.check("warm-up");
    calls = 0;
    const results = await Promise.all(Array.from({ length: 300 }, () => l.check("big")));
    expect(calls).toBe(4); // 1 at once, then 128 + 128 + 43
    expect(results.filter((r) => r.allowed)).toHaveLength(200);
    expect(results.findIndex((r) => !r.allowed)).toBe(200);
  });

  it("the script decides one check of cost 1 per key when no per-key arguments follow", async () => {
    const p = prefix();
    const keys = [`${p}:a`, `${p}:b`, `${p}:c`];
    await io.set(keys[1]!, "not a time");
    // 1/s with a burst of 2: interval 1 000 ms, tau 2 000 ms, and nothing after.
    const run = async () => (await io.eval(GCRA_SCRIPT, 3, ...keys, "1000", "2000")) as number[];
    const first = await run();
    const second = await run();
    // Admitted: { remaining, reset-after µs } for each key in turn. A stored
    // value that is not a time reads as an idle key.
    expect(first).toHaveLength(6);
    expect([first[0], first[2], first[4]]).toEqual([1, 1, 1]);
    for (const resetUs of [first[1], first[3], first[5]]) {
      expect(resetUs).toBeGreaterThan(900_000);
      expect(resetUs).toBeLessThanOrEqual(1_000_000);
    }
    expect([second[0], second[2], second[4]]).toEqual([0, 0, 0]);
    for (const key of keys) {
      const ttl = await io.pttl(key);
      expect(ttl).toBeGreaterThan(1_000);
      expect(ttl).toBeLessThanOrEqual(2_000);
    }
  });

  it("the script answers a refusal with three numbers: -1 - remaining, retry-after µs, reset-after µs", async () => {
    const p = prefix();
    // Interval 1 000 ms, tau 2 000 ms; key a: one check of cost 2, key b: three of cost 1, then one of cost 3.
    const reply = (await io.eval(
      GCRA_SCRIPT,
      2,
      `${p}:a`,
      `${p}:b`,
      "1000",
      "2000",
      "1",
      "2",
      "4",
      "1",
      "1",
      "1",
      "3",
    )) as number[];
    expect(reply).toHaveLength(2 + 2 + 2 + 3 + 3);
    // a: admitted, nothing left, full again in 2 s.
    expect(reply[0]).toBe(0);
    expect(reply[1]).toBeGreaterThan(1_900_000);
    expect(reply[1]).toBeLessThanOrEqual(2_000_000);
    // b: two admitted, then refused with nothing left: the next unit in ~1 s.
    expect([reply[2], reply[4]]).toEqual([1, 0]);
    expect(reply[6]).toBe(-1);
    expect(reply[7]).toBeGreaterThan(900_000);
    expect(reply[7]).toBeLessThanOrEqual(1_000_000);
    expect(reply[8]).toBeLessThanOrEqual(2_000_000);
    // A cost above the burst is never admitted: retry-after -1.
    expect(reply[9]).toBe(-1);
    expect(reply[10]).toBe(-1);
  });

  it("ignores the application clock: state is in server time", async () => {
    // Two instances whose own clocks disagree cannot disagree on the limit:
    // nothing in the check depends on the caller's time.
    const p = prefix();
    const l = createRedisLimiter({ client: ioredisAdapter(io), rate: "1/s", burst: 1, prefix: p });
    // The script counts milliseconds from 2023-11-14 (Unix time 1.7e9 s).
    const serverNow = async () => {
      const [sec, usec] = (await io.time()) as [string | number, string | number];
      return (Number(sec) - 1_700_000_000) * 1_000 + Number(usec) / 1_000;
    };
    const before = await serverNow();
    await l.check("clock");
    const after = await serverNow();
    // The check ran between the two readings, and stored its time plus 1 s.
    const checkedAt = Number(await io.get(`${p}:clock`)) - 1_000;
    expect(checkedAt).toBeGreaterThanOrEqual(before - 0.001);
    expect(checkedAt).toBeLessThanOrEqual(after + 0.001);
  });
});
