import { describe, expect, it } from "vitest";
import { createLimiter } from "../memory";
import { clientIp } from "./client-address";
import { rateLimit } from "./middleware";

const req = (headers: Record<string, string> = {}) =>
  new Request("https://example.test/path", { headers });

describe("clientIp", () => {
  it("is the peer address unless forwarding headers are trusted", () => {
    const spoofed = req({
      "CF-Connecting-IP": "203.0.113.7",
      "X-Forwarded-For": "198.51.100.1",
      Forwarded: "for=198.51.100.2",
    });
    expect(clientIp(spoofed, { peerAddress: "192.0.2.1" })).toBe("192.0.2.1");
    expect(clientIp(spoofed)).toBeUndefined();
  });

  it("reads CF-Connecting-IP only when told to trust Cloudflare, and then first", () => {
    const r = req({ "CF-Connecting-IP": "203.0.113.7", "X-Forwarded-For": "1.1.1.1" });
    expect(clientIp(r, { trustCloudflare: true, peerAddress: "10.0.0.1" })).toBe("203.0.113.7");
    expect(clientIp(r, { trustedProxies: 1, peerAddress: "10.0.0.1" })).toBe("1.1.1.1");
  });

  it("walks X-Forwarded-For from the right over the trusted hops, the peer first", () => {
    const r = req({ "X-Forwarded-For": "198.51.100.1, 10.0.0.2, 10.0.0.3" });
    const peerAddress = "10.0.0.4";
    expect(clientIp(r, { peerAddress, trustedProxies: 1 })).toBe("10.0.0.3");
    expect(clientIp(r, { peerAddress, trustedProxies: 2 })).toBe("10.0.0.2");
    expect(clientIp(r, { peerAddress, trustedProxies: 3 })).toBe("198.51.100.1");
    expect(clientIp(r, { peerAddress, trustedProxies: 9 })).toBe("198.51.100.1");
    // No header behind a trusted proxy: the request came from the peer.
    expect(clientIp(req(), { peerAddress, trustedProxies: 1 })).toBe(peerAddress);
    expect(clientIp(req({ "X-Forwarded-For": " , " }), { trustedProxies: 1 })).toBeUndefined();
  });

  it("reads RFC 7239 Forwarded when configured", () => {
    const r = req({
      Forwarded: 'for=198.51.100.9;proto=https, for="[2001:db8::1]:4711", for=192.0.2.60:8080',
    });
    const opts = { peerAddress: "10.0.0.9", proxyHeader: "Forwarded" as const };
    expect(clientIp(r, { ...opts, trustedProxies: 1 })).toBe("192.0.2.60");
    expect(clientIp(r, { ...opts, trustedProxies: 2 })).toBe("2001:db8::1");
    expect(clientIp(r, { ...opts, trustedProxies: 3 })).toBe("198.51.100.9");
    // A hop recorded as unknown is no address (not the proxy's).
    expect(clientIp(req({ Forwarded: "for=unknown" }), { ...opts, trustedProxies: 1 })).toBe(
      undefined,
    );
  });
});

describe("rateLimit middleware", () => {
  const ok = () => new Response("ok", { headers: { "Content-Type": "text/plain" } });

  it("passes through with RateLimit headers, then answers 429 without calling the handler", async () => {
    let calls = 0;
    const handler = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 2 }), trustCloudflare: true },
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
    // t is when more quota accrues (one unit, 60 s), as Retry-After says.
    expect(limited.headers.get("RateLimit")).toBe('"default";r=0;t=60');
    expect(await limited.text()).toBe("Too Many Requests\n");
    expect(calls).toBe(2);
    // Another client is unaffected.
    expect((await handler(req({ "CF-Connecting-IP": "203.0.113.2" }))).status).toBe(200);
  });

  it("calls the handler without a microtask turn when the key and the limiter are synchronous", async () => {
    const order: string[] = [];
    const handler = rateLimit(
      { limiter: createLimiter({ rate: "10/s" }), key: () => "k" },
      (_r: Request) => {
        order.push("handler");
        return ok();
      },
    );
    const response = handler(req());
    order.push("returned");
    expect(order).toEqual(["handler", "returned"]);
    expect((await response).status).toBe(200);
    // A key function returning a promise is still awaited.
    const later = rateLimit(
      { limiter: createLimiter({ rate: "10/s" }), key: async () => "k" },
      (_r: Request) => {
        order.push("async key");
        return ok();
      },
    );
    const pending = later(req());
    expect(order).not.toContain("async key");
    expect((await pending).status).toBe(200);
    expect(order.at(-1)).toBe("async key");
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

  it("refuses requests without a usable key instead of sharing one bucket", async () => {
    const errors: unknown[] = [];
    let served = 0;
    const handler = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 5 }), onError: (e) => errors.push(e) },
      (_r: Request, _connection?: { remoteAddress: string }) => {
        served++;
        return ok();
      },
    );
    // No peer address was passed and no header is trusted.
    const refused = await handler(req({ "X-Forwarded-For": "192.0.2.1" }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBeNull();
    expect(served).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ code: "ERR_NO_KEY" })]);
    // With a peer address, one client's flood leaves another client alone.
    for (let i = 0; i < 5; i++) await handler(req(), { remoteAddress: "192.0.2.1" });
    expect((await handler(req(), { remoteAddress: "192.0.2.1" })).status).toBe(429);
    expect((await handler(req(), { remoteAddress: "192.0.2.2" })).status).toBe(200);

    const lenient = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 1 }), unkeyed: "allow" },
      (_r: Request) => ok(),
    );
    for (let i = 0; i < 3; i++) expect((await lenient(req())).status).toBe(200);

    const byHeader = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 1 }), key: { header: "X-Api-Key" } },
      (_r: Request) => ok(),
    );
    expect((await byHeader(req())).status).toBe(429);
  });

  it("reads the peer through a peerAddress option", async () => {
    const handler = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        peerAddress: (_r, info: { ip: string }) => info.ip,
      },
      (_r: Request, _info: { ip: string }) => ok(),
    );
    expect((await handler(req(), { ip: "192.0.2.1" })).status).toBe(200);
    expect((await handler(req(), { ip: "192.0.2.1" })).status).toBe(429);
    expect((await handler(req(), { ip: "192.0.2.2" })).status).toBe(200);
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
      '"default";r=1;t=60',
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

  it("never sends a Retry-After earlier than the RateLimit t, nor a t past it", async () => {
    let now = 0;
    const limiter = createLimiter({ rate: "100/min", burst: 20, clock: () => now });
    const handler = rateLimit({ limiter, key: () => "k" }, (_r: Request) => ok());
    const seconds = (res: Response) => ({
      retry: Number(res.headers.get("Retry-After")),
      t: Number(/;t=(\d+)/.exec(res.headers.get("RateLimit") ?? "")?.[1]),
    });
    for (let i = 0; i < 20; i++) await handler(req());
    const limited = await handler(req());
    expect(limited.status).toBe(429);
    // One unit every 0.6 s: the next request passes in 1 s (rounded up), and
    // more quota is available then — not only when the bucket is full (12 s).
    expect(seconds(limited)).toEqual({ retry: 1, t: 1 });
    now += 5_000;
    const allowed = await handler(req());
    expect(allowed.headers.get("RateLimit")).toBe('"default";r=7;t=1');
    // A bulk request waits longer than the next unit: Retry-After ≥ t.
    const bulk = rateLimit({ limiter, key: () => "k", cost: 10 }, (_r: Request) => ok());
    const refusedBulk = seconds(await bulk(req()));
    expect(refusedBulk.retry).toBe(2);
    expect(refusedBulk.t).toBe(1);
  });

  it("rejects a bad trustedProxies option", () => {
    expect(() =>
      rateLimit({ limiter: createLimiter({ rate: "1/s" }), trustedProxies: -1 }, (_r: Request) =>
        ok(),
      ),
    ).toThrowError(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});
