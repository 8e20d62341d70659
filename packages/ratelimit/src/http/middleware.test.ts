import { describe, expect, it } from "vitest";
import { createLimiter } from "../memory";
import { clientIp, rateLimit } from "./middleware";

const req = (headers: Record<string, string> = {}) =>
  new Request("https://example.test/path", { headers });

describe("clientIp", () => {
  it("prefers CF-Connecting-IP", () => {
    expect(
      clientIp(req({ "CF-Connecting-IP": "203.0.113.7", "X-Forwarded-For": "1.1.1.1" }), 1),
    ).toBe("203.0.113.7");
  });

  it("ignores X-Forwarded-For unless proxies are trusted", () => {
    const r = req({ "X-Forwarded-For": "198.51.100.1, 10.0.0.2, 10.0.0.3" });
    expect(clientIp(r)).toBeUndefined();
    expect(clientIp(r, 1)).toBe("10.0.0.3");
    expect(clientIp(r, 2)).toBe("10.0.0.2");
    expect(clientIp(r, 3)).toBe("198.51.100.1");
    expect(clientIp(r, 9)).toBe("198.51.100.1");
    expect(clientIp(req({ "X-Forwarded-For": " , " }), 1)).toBeUndefined();
  });
});

describe("rateLimit middleware", () => {
  const ok = () => new Response("ok", { headers: { "Content-Type": "text/plain" } });

  it("passes through with RateLimit headers, then answers 429 without calling the handler", async () => {
    let calls = 0;
    const handler = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 2 }) },
      (_r: Request) => {
        calls++;
        return ok();
      },
    );
    const headers = { "CF-Connecting-IP": "203.0.113.1" };
    const first = await handler(req(headers));
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("ok");
    expect(first.headers.get("RateLimit-Policy")).toBe('"default";q=1;w=60');
    expect(first.headers.get("RateLimit")).toBe('"default";r=1;t=60');
    expect(first.headers.get("Retry-After")).toBeNull();
    expect((await handler(req(headers))).status).toBe(200);
    const limited = await handler(req(headers));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("60");
    expect(limited.headers.get("RateLimit")).toBe('"default";r=0;t=120');
    expect(await limited.text()).toBe("Too Many Requests\n");
    expect(calls).toBe(2);
    // Another client is unaffected.
    expect((await handler(req({ "CF-Connecting-IP": "203.0.113.2" }))).status).toBe(200);
  });

  it("keys by header, by function, and exempts requests the function returns undefined for", async () => {
    const byHeader = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        key: { header: "X-Api-Key" },
      },
      (_r: Request) => ok(),
    );
    expect((await byHeader(req({ "X-Api-Key": "a" }))).status).toBe(200);
    expect((await byHeader(req({ "X-Api-Key": "a" }))).status).toBe(429);
    expect((await byHeader(req({ "X-Api-Key": "b" }))).status).toBe(200);

    const byFn = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        key: (r, tenant) => (r.headers.has("X-Internal") ? undefined : tenant),
      },
      (_r: Request, tenant: string) => new Response(tenant),
    );
    expect((await byFn(req(), "t1")).status).toBe(200);
    expect((await byFn(req(), "t1")).status).toBe(429);
    expect((await byFn(req({ "X-Internal": "1" }), "t1")).status).toBe(200);
  });

  it("puts clients without an address in one shared bucket", async () => {
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
      },
      (_r: Request) => ok(),
    );
    expect((await handler(req())).status).toBe(200);
    expect((await handler(req({ "X-Forwarded-For": "192.0.2.1" }))).status).toBe(429);
  });

  it("charges a per-request cost", async () => {
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 5 }),
        key: () => "k",
        cost: (r) => (r.headers.get("X-Bulk") ? 4 : 1),
      },
      (_r: Request) => ok(),
    );
    expect((await handler(req({ "X-Bulk": "1" }))).headers.get("RateLimit")).toBe(
      '"default";r=1;t=240',
    );
    expect((await handler(req({ "X-Bulk": "1" }))).status).toBe(429);
    expect((await handler(req())).status).toBe(200);
  });

  it("omits Retry-After for a request that can never pass", async () => {
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 2 }),
        key: () => "k",
        cost: 3,
      },
      (_r: Request) => ok(),
    );
    const res = await handler(req());
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBeNull();
  });

  it("uses a custom 429 response and policy name, and can leave 2xx responses alone", async () => {
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        key: () => "k",
        policyName: "api",
        headers: false,
        onLimited: (result) =>
          Response.json(
            { error: "slow down", retryAfterMs: Math.round(result.retryAfterMs) },
            { status: 429 },
          ),
      },
      (_r: Request) => ok(),
    );
    const passed = await handler(req());
    expect(passed.headers.get("RateLimit")).toBeNull();
    const limited = await handler(req());
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { error: string; retryAfterMs: number };
    expect(body.error).toBe("slow down");
    expect(body.retryAfterMs).toBeGreaterThan(59_000);
    expect(body.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(limited.headers.get("RateLimit-Policy")).toBe('"api";q=1;w=60');
    expect(limited.headers.get("Retry-After")).toBe("60");
  });

  it("copies responses whose headers are immutable", async () => {
    const frozen = () => {
      const res = ok();
      // Like a Response returned by fetch(): setting a header throws.
      Object.defineProperty(res.headers, "set", {
        value: () => {
          throw new TypeError("immutable");
        },
      });
      return res;
    };
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        key: () => "k",
      },
      (_r: Request) => frozen(),
    );
    const res = await handler(req());
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit")).toBe('"default";r=0;t=60');
    expect(await res.text()).toBe("ok");
  });

  it("lets requests through and reports when the limiter fails", async () => {
    const errors: unknown[] = [];
    const broken = {
      policy: { count: 1, periodMs: 1_000, burst: 1 },
      exact: true,
      check: () => Promise.reject(new Error("store down")),
    };
    const handler = rateLimit(
      {
        limiter: broken,
        key: () => "k",
        onError: (e) => errors.push(e),
      },
      (_r: Request) => ok(),
    );
    const res = await handler(req());
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit")).toBeNull();
    expect(errors).toHaveLength(1);
  });

  it("sends no RateLimit field when the state is unknown", async () => {
    const degraded = {
      policy: { count: 1, periodMs: 1_000, burst: 1 },
      exact: true,
      check: () => ({
        allowed: true,
        remaining: Number.NaN,
        retryAfterMs: 0,
        resetAfterMs: Number.NaN,
      }),
    };
    const res = await rateLimit({ limiter: degraded, key: () => "k" }, (_r: Request) => ok())(
      req(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"default";q=1;w=1');
    expect(res.headers.get("RateLimit")).toBeNull();
  });

  it("rejects a bad trustedProxies option", () => {
    expect(() =>
      rateLimit({ limiter: createLimiter({ rate: "1/s" }), trustedProxies: -1 }, (_r: Request) =>
        ok(),
      ),
    ).toThrowError(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});
