// The Redis store against a real three-master Redis Cluster started here.
import { type RedisCluster, startRedisCluster } from "@groundwork/test-harness";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisLimiter, ioredisAdapter, type RedisScriptClient } from "../src/redis/index";
import { hashSlot } from "../src/redis/slot";
import { limiterConformance } from "./conformance";

let cluster: RedisCluster;
let client: Cluster;
let prefixCounter = 0;
const prefix = () => `cl:${process.pid}:${prefixCounter++}`;

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = new Cluster([...cluster.nodes], {
    // As the guide recommends: a check on an unreachable node fails now.
    enableOfflineQueue: false,
    clusterRetryStrategy: () => 100,
  });
  client.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    client.once("ready", resolve);
    client.once("error", reject);
  });
}, 60_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

limiterConformance({
  name: "redis cluster via ioredis",
  exact: true,
  create: ({ rate, burst }) =>
    createRedisLimiter({ client: ioredisAdapter(client), rate, burst, prefix: prefix() }),
});

describe("redis store on a real Redis Cluster", () => {
  it("computes the hash slots Redis does", async () => {
    for (const key of ["foo", "bar", "gw:rl:user:42", "{tenant:7}:user:1", "ü€😀"]) {
      expect(hashSlot(key)).toBe(await cluster.keySlot(key));
    }
  });

  it("decides keys in different slots in one tick, one script call per slot", async () => {
    const p = prefix();
    const calls: string[][] = [];
    const inner = ioredisAdapter(client);
    expect(inner.cluster).toBe(true);
    const counting: RedisScriptClient = {
      ...inner,
      evalsha: (sha, keys, args) => {
        calls.push(keys);
        return inner.evalsha(sha, keys, args);
      },
    };
    const l = createRedisLimiter({ client: counting, rate: "1/min", burst: 2, prefix: p });
    // Two keys share a slot through a hash tag; the others spread over all masters.
    const keys = ["{t1}:a", "{t1}:b", ...Array.from({ length: 30 }, (_, i) => `user:${i}`)];
    const slots = new Set(keys.map((k) => hashSlot(`${p}:${k}`)));
    const owners = new Set(await Promise.all([...slots].map((s) => cluster.nodeForSlot(s))));
    expect(owners.size).toBe(3);
    await l.check("warm-up");
    calls.length = 0;
    const results = await Promise.all(keys.flatMap((k) => [l.check(k), l.check(k), l.check(k)]));
    // The first check goes out at once (nothing in flight); the other 95 wait
    // for the end of the tick and go out in one call per slot.
    expect(calls[0]).toEqual([`${p}:{t1}:a`]);
    expect(calls).toHaveLength(1 + slots.size);
    for (const keysOfCall of calls) {
      expect(new Set(keysOfCall.map(hashSlot)).size).toBe(1);
    }
    for (let i = 0; i < keys.length; i++) {
      expect(results.slice(i * 3, i * 3 + 3).map((r) => r.allowed)).toEqual([true, true, false]);
    }
    expect(l.stats().errors).toBe(0);
  });

  it("survives a master restarting without failover", async () => {
    const p = prefix();
    const errors: string[] = [];
    const l = createRedisLimiter({
      client: ioredisAdapter(client),
      rate: "1/min",
      burst: 5,
      prefix: p,
      fail: "closed",
      timeoutMs: 300,
      onError: (e) => errors.push(e.code),
    });
    // One key on the master that restarts, one on another master.
    const keyOn = async (node: number, not = false) => {
      for (let i = 0; ; i++) {
        const owner = await cluster.nodeForSlot(hashSlot(`${p}:k${i}`));
        if (not ? owner !== node : owner === node) return `k${i}`;
      }
    };
    const down = await keyOn(0);
    const up = await keyOn(0, true);
    expect((await l.check(down)).remaining).toBe(4);
    expect((await l.check(up)).remaining).toBe(4);

    await cluster.stopNode(0);
    const whileDown = await l.check(down);
    // Answered by the fail policy, not by Redis: refused, state unknown.
    expect(whileDown.allowed).toBe(false);
    expect(whileDown.remaining).toBeNaN();
    expect(errors.length).toBeGreaterThan(0);
    // The other masters keep serving their slots exactly.
    expect((await l.check(up)).remaining).toBe(3);

    await cluster.restartNode(0);
    // The node is back with its slots; its data (and script cache) are gone.
    let back: number | undefined;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const r = await l.check(down);
      if (Number.isFinite(r.remaining)) {
        back = r.remaining;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(4);
    expect((await l.check(up)).remaining).toBe(2);
  }, 30_000);
});
