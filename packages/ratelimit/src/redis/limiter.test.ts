// How the Redis store treats a misbehaving client adapter. Behaviour against
// a real redis-server is tested in test/redis*.test.ts.
import { describe, expect, it, vi } from "vitest";
import type { Limiter } from "../types";
import type { RedisScriptClient } from "./client";
import { createRedisLimiter, type RedisLimiterOptions } from "./limiter";

const adapter = (evalsha: RedisScriptClient["evalsha"]): RedisScriptClient => ({
  evalsha,
  scriptLoad: async () => "0123456789abcdef0123456789abcdef01234567",
});

describe("createRedisLimiter with a misbehaving client", () => {
  it("applies the fail policy when the client throws instead of rejecting", async () => {
    const l = createRedisLimiter({
      client: adapter(() => {
        throw new Error("socket closed");
      }),
      rate: "1/s",
      fail: "closed",
    });
    const r = await l.check("k");
    expect(r.allowed).toBe(false);
    expect(l.stats().errors).toBe(1);
    expect(l.stats().lastError?.code).toBe("ERR_STORE_UNAVAILABLE");
  });

  it("applies the fail policy when loading the script throws instead of rejecting", async () => {
    const l = createRedisLimiter({
      client: {
        evalsha: async () => [0, 0],
        scriptLoad: () => {
          throw new Error("socket closed");
        },
      },
      rate: "1/s",
      fail: "closed",
    });
    const results = await Promise.all([l.check("k"), l.check("k"), l.check("other")]);
    expect(results.map((r) => r.allowed)).toEqual([false, false, false]);
    expect(l.stats().errors).toBe(3);
    expect(l.stats().lastError?.code).toBe("ERR_STORE_UNAVAILABLE");
  });

  it("treats a malformed reply as a store failure", async () => {
    const errors: string[] = [];
    const l = createRedisLimiter({
      client: adapter(async () => ["yes", "no"]),
      rate: "1/s",
      onError: (e) => errors.push(e.code),
    });
    expect((await l.check("k")).allowed).toBe(true);
    expect(errors).toEqual(["ERR_STORE_REPLY"]);
  });

  it("reads the compact reply and refuses a reply with numbers left over", async () => {
    const errors: string[] = [];
    const replies: unknown[][] = [
      // Refused: nothing left, next unit in 250 ms, full in 1.5 s.
      [-1, 250_000, 1_500_000],
      // Refused for good: a cost above the burst, 3 left.
      [-4, -1, 500_000],
      // One check answered with more than it needs.
      [3, 1_000, 7],
    ];
    const l = createRedisLimiter({
      client: adapter(async () => replies.shift()),
      rate: "1/s",
      fail: "closed",
      denyCacheSize: 0,
      onError: (e) => errors.push(e.code),
    });
    expect(await l.check("k")).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 250,
      resetAfterMs: 1_500,
    });
    expect(await l.check("k", { cost: 9 })).toEqual({
      allowed: false,
      remaining: 3,
      retryAfterMs: Number.POSITIVE_INFINITY,
      resetAfterMs: 500,
    });
    expect((await l.check("k")).remaining).toBeNaN();
    expect(errors).toEqual(["ERR_STORE_REPLY"]);
  });

  it("rejects only when asked to", async () => {
    const l = createRedisLimiter({
      client: adapter(async () => {
        throw new Error("READONLY You can't write against a read only replica.");
      }),
      rate: "1/s",
      throwOnError: true,
      onError: () => {
        throw new Error("a broken hook is ignored");
      },
    });
    await expect(l.check("k")).rejects.toMatchObject({
      name: "RateLimitError",
      code: "ERR_STORE_UNAVAILABLE",
      cause: expect.objectContaining({ message: expect.stringMatching(/^READONLY/) }),
    });
  });

  it("validates options and cost", async () => {
    const client = adapter(async () => [0, 0]);
    const bad: RedisLimiterOptions[] = [
      { client, rate: "1/s", timeoutMs: 0 },
      { client, rate: "1/s", burst: 0 },
      { client, rate: "every now and then" },
      { client, rate: "1/s", fail: "sometimes" as unknown as "open" },
      { client: {} as RedisScriptClient, rate: "1/s" },
      { client, rate: "1/s", fallback: {} as Limiter },
    ];
    for (const options of bad) {
      expect(() => createRedisLimiter(options)).toThrowError(
        expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
      );
    }
    // A bad cost is refused without a round trip, never thrown.
    const evalsha = vi.fn(async () => [0, 0]);
    const l = createRedisLimiter({ client: adapter(evalsha), rate: "1/s" });
    await expect(l.check("k", { cost: -1 })).resolves.toMatchObject({
      allowed: false,
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
    expect(evalsha).not.toHaveBeenCalled();
  });

  it("answers every check of a batch when the reply is short", async () => {
    const errors: string[] = [];
    const l = createRedisLimiter({
      // The first check goes out alone; the next two go out together, and
      // the reply holds the answer of one check only.
      client: adapter(async () => [4, 1000]),
      rate: "1/s",
      fail: "closed",
      onError: (e) => errors.push(e.code),
    });
    const results = await Promise.all([l.check("k"), l.check("k"), l.check("k")]);
    expect(results.map((r) => r.allowed)).toEqual([true, false, false]);
    expect(errors).toEqual(["ERR_STORE_REPLY", "ERR_STORE_REPLY"]);
  });

  it("reloads the script once after NOSCRIPT and answers the whole batch", async () => {
    const calls: string[][] = [];
    let loads = 0;
    const client: RedisScriptClient = {
      evalsha: async (_sha, keys, args) => {
        calls.push(args);
        if (calls.length === 3) throw new Error("NOSCRIPT No matching script.");
        // Without per-key arguments, one check per key.
        const checks = args.length === 2 ? keys.length : args.length - 3;
        return Array.from({ length: checks }, (_, i) => [9 - i, 1000]).flat();
      },
      scriptLoad: async () => {
        loads++;
        return "0123456789abcdef0123456789abcdef01234567";
      },
    };
    const l = createRedisLimiter({ client, rate: "10/s" });
    await l.check("k");
    // The first goes out at once; the batch of the other three meets NOSCRIPT.
    const results = await Promise.all([
      l.check("k"),
      l.check("k"),
      l.check("k", { cost: 2 }),
      l.check("k"),
    ]);
    expect(results.map((r) => r.remaining)).toEqual([9, 9, 8, 7]);
    expect(calls.slice(2)).toEqual([
      ["100", "1000", "3", "1", "2", "1"],
      ["100", "1000", "3", "1", "2", "1"],
    ]);
    expect(loads).toBe(2);
    expect(l.stats()).toMatchObject({ checks: 5, errors: 0 });
  });
});
