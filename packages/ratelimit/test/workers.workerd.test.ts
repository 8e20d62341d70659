import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { rateLimit } from "../src/http/index";
import { createWorkersLimiter, type RateLimitBinding } from "../src/workers/index";
import { limiterConformance } from "./conformance";

// The binding counts in wall-clock-aligned windows of `period` seconds; a
// test that straddles a boundary would see its count reset. Start clear of one.
beforeEach(async () => {
  const intoWindow = Date.now() % 60_000;
  if (intoWindow > 55_000) await new Promise((r) => setTimeout(r, 60_000 - intoWindow + 50));
}, 15_000);

const byBurst: Record<number, RateLimitBinding> = { 5: env.RL_5, 2: env.RL_2 };

limiterConformance({
  name: "workers binding",
  exact: false,
  create: ({ burst }) => {
    const binding = byBurst[burst];
    if (!binding) throw new Error(`no binding configured with limit ${burst}`);
    return createWorkersLimiter({ binding, limit: burst, period: 60 });
  },
});

describe("createWorkersLimiter in workerd", () => {
  it("reports what it cannot know as NaN and the period as an upper bound", async () => {
    const l = createWorkersLimiter({ binding: env.RL_5, limit: 5, period: 60 });
    const key = `bound:${Math.random()}`;
    const first = await l.check(key);
    expect(first.allowed).toBe(true);
    expect(first.remaining).toBeNaN();
    expect(first.resetAfterMs).toBe(60_000);
    for (let i = 0; i < 4; i++) await l.check(key);
    expect(await l.check(key)).toMatchObject({ allowed: false, retryAfterMs: 60_000 });
  });

  it("validates its options", () => {
    expect(() => createWorkersLimiter({ binding: env.RL_5, limit: 0, period: 60 })).toThrowError(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
    expect(() =>
      createWorkersLimiter({ binding: env.RL_5, limit: 5, period: 30 as unknown as 60 }),
    ).toThrowError(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("drives the HTTP middleware end to end", async () => {
    const limit = createWorkersLimiter({ binding: env.RL_HTTP, limit: 3, period: 60 });
    let served = 0;
    // In a Worker, Cloudflare sets CF-Connecting-IP on every request.
    const handler = rateLimit({ limiter: limit, trustCloudflare: true }, (_request: Request) => {
      served++;
      return new Response("ok");
    });
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const get = () =>
      handler(new Request("https://example.test/", { headers: { "CF-Connecting-IP": ip } }));
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await get();
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(served).toBe(3);
    expect(last?.headers.get("Retry-After")).toBe("60");
    expect(last?.headers.get("RateLimit-Policy")).toBe('"default";q=3;w=60');
    // The binding cannot tell what remains, so no RateLimit field is sent.
    expect(last?.headers.get("RateLimit")).toBeNull();
  });
});
