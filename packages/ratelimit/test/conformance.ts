// One behavioural suite every store must pass, so "identical GCRA semantics
// whatever the store" is checked rather than assumed. Runs on real time:
// stores such as Redis take their clock from the server.
import { describe, expect, it } from "vitest";
import type { Limiter, RateLimitResult } from "../src/index";

/** A store under test. */
export interface ConformanceTarget {
  /** Shown in the test names. */
  name: string;
  /**
   * Creates a limiter with the given rate and burst. Stores whose limit is
   * fixed outside the code (the Workers binding) may ignore `rate` but must
   * allow `burst` requests per window.
   */
  create(config: { rate: string; burst: number }): Limiter | Promise<Limiter>;
  /**
   * Whether the store reports exact GCRA state (remaining, retry-after,
   * reset-after) and refills continuously. `false` runs only the admit/refuse checks.
   */
  exact: boolean;
  /** Per-test timeout in ms. Default 10 000. */
  timeoutMs?: number;
}

// Upper bounds allow floating-point noise and a store that rounds to the microsecond.
const SLACK_MS = 0.01;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let counter = 0;
const uniqueKey = (label: string) =>
  `conf:${label}:${Date.now().toString(36)}:${(counter++).toString(36)}:${Math.random().toString(36).slice(2)}`;

async function run(l: Limiter, key: string, cost?: number): Promise<RateLimitResult> {
  return cost === undefined ? l.check(key) : l.check(key, { cost });
}

/**
 * Registers the conformance suite for one store.
 *
 * @param target - the store: name, factory, whether it is exact.
 */
export function limiterConformance(target: ConformanceTarget): void {
  const timeout = target.timeoutMs ?? 10_000;
  const exactIt = target.exact ? it : it.skip;

  describe(`${target.name}: limiter conformance`, () => {
    it(
      "allows exactly `burst` requests at once, then refuses",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 5 });
        const key = uniqueKey("burst");
        const allowed: boolean[] = [];
        for (let i = 0; i < 7; i++) allowed.push((await run(l, key)).allowed);
        expect(allowed).toEqual([true, true, true, true, true, false, false]);
      },
      timeout,
    );

    it(
      "keeps keys independent",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 2 });
        const a = uniqueKey("a");
        const b = uniqueKey("b");
        expect((await run(l, a)).allowed).toBe(true);
        expect((await run(l, a)).allowed).toBe(true);
        expect((await run(l, a)).allowed).toBe(false);
        expect((await run(l, b)).allowed).toBe(true);
      },
      timeout,
    );

    it(
      "charges `cost` units per request",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 5 });
        const key = uniqueKey("cost");
        expect((await run(l, key, 3)).allowed).toBe(true);
        expect((await run(l, key, 2)).allowed).toBe(true);
        expect((await run(l, key, 1)).allowed).toBe(false);
      },
      timeout,
    );

    it(
      "never allows a cost above the burst",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 5 });
        const key = uniqueKey("over");
        const r = await run(l, key, 6);
        expect(r.allowed).toBe(false);
        expect(r.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
        expect((await run(l, key, 5)).allowed).toBe(true);
      },
      timeout,
    );

    it(
      "reports the policy it enforces",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 5 });
        expect(l.policy.burst).toBe(5);
        expect(l.policy.count).toBeGreaterThan(0);
        expect(l.policy.periodMs).toBeGreaterThan(0);
        expect(l.exact).toBe(target.exact);
      },
      timeout,
    );

    exactIt(
      "reports remaining, retry-after and reset-after",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 5 });
        const key = uniqueKey("state");
        const first = await run(l, key);
        expect(first).toMatchObject({ allowed: true, remaining: 4, retryAfterMs: 0 });
        expect(first.resetAfterMs).toBeGreaterThan(900);
        expect(first.resetAfterMs).toBeLessThanOrEqual(1_000 + SLACK_MS);
        for (let i = 0; i < 4; i++) await run(l, key);
        const refused = await run(l, key);
        expect(refused.allowed).toBe(false);
        expect(refused.remaining).toBe(0);
        // Five units at 1 s each: full again in ~5 s, the next unit in ~1 s.
        // Lower bounds leave room for a slow machine between the checks.
        expect(refused.retryAfterMs).toBeGreaterThan(500);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000 + SLACK_MS);
        expect(refused.resetAfterMs).toBeGreaterThan(4_500);
        expect(refused.resetAfterMs).toBeLessThanOrEqual(5_000 + SLACK_MS);
      },
      timeout,
    );

    exactIt(
      "consumes nothing when refusing",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 10 });
        const key = uniqueKey("refuse");
        expect((await run(l, key, 4)).remaining).toBe(6);
        const refused = await run(l, key, 7);
        expect(refused).toMatchObject({ allowed: false, remaining: 6 });
        expect(refused.retryAfterMs).toBeGreaterThan(500);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000 + SLACK_MS);
        expect(await run(l, key, 6)).toMatchObject({ allowed: true, remaining: 0 });
      },
      timeout,
    );

    exactIt(
      "cost 0 reads the state without consuming",
      async () => {
        const l = await target.create({ rate: "1/s", burst: 3 });
        const key = uniqueKey("peek");
        expect(await run(l, key, 0)).toMatchObject({
          allowed: true,
          remaining: 3,
          resetAfterMs: 0,
        });
        await run(l, key);
        expect(await run(l, key, 0)).toMatchObject({ allowed: true, remaining: 2 });
        expect(await run(l, key, 0)).toMatchObject({ allowed: true, remaining: 2 });
      },
      timeout,
    );

    exactIt(
      "admits again once retry-after has passed, at the steady rate",
      async () => {
        // A 250 ms interval: the second check below stays refused unless the
        // machine stalls for 235 ms between the sleep and it.
        const l = await target.create({ rate: "4/s", burst: 2 });
        const key = uniqueKey("refill");
        expect((await run(l, key)).allowed).toBe(true);
        expect((await run(l, key)).allowed).toBe(true);
        const refused = await run(l, key);
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(250 + SLACK_MS);
        await sleep(refused.retryAfterMs + 15);
        expect((await run(l, key)).allowed).toBe(true);
        // One interval refilled one unit, which that request took.
        const next = await run(l, key);
        expect(next.allowed).toBe(false);
        expect(next.retryAfterMs).toBeLessThanOrEqual(250 + SLACK_MS);
      },
      timeout,
    );

    exactIt(
      "returns to a full burst after reset-after",
      async () => {
        const l = await target.create({ rate: "50/s", burst: 3 });
        const key = uniqueKey("reset");
        let last: RateLimitResult | undefined;
        for (let i = 0; i < 3; i++) last = await run(l, key);
        expect(last?.remaining).toBe(0);
        await sleep((last?.resetAfterMs ?? 0) + 20);
        expect(await run(l, key, 0)).toMatchObject({ remaining: 3 });
      },
      timeout,
    );
  });
}
