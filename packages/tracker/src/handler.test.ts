import { createLogger, memorySink } from "@groundwork/core";
import { createRegistry, findSamples } from "@groundwork/metrics";
import { describe, expect, it } from "vitest";
import { TrackerError } from "./errors";
import { createTrackerHandler, type TrackerHandlerOptions, type TrackerRequest } from "./handler";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

function setup(options: TrackerHandlerOptions = {}) {
  const sink = memorySink();
  const log = createLogger({ sink, level: "info" });
  const registry = createRegistry({ runtimeInfo: false });
  const handler = createTrackerHandler({ log, registry, ...options });
  const events = () => sink.records().map((r) => r.fields);
  const dropped = (reason: string) =>
    findSamples(registry.snapshot(), "tracker_dropped_total", { reason })[0]?.value ?? 0;
  const counted = (website: string, kind: string) =>
    findSamples(registry.snapshot(), "tracker_events_total", { website, kind })[0]?.value ?? 0;
  return { handler, events, dropped, counted, sink };
}

function beacon(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request("http://t.test/v1/tracker/event", {
    method: "POST",
    headers: { "user-agent": CHROME, "content-type": "text/plain", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function img(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`http://t.test${path}`, { headers: { "user-agent": CHROME, ...headers } });
}

describe("createTrackerHandler", () => {
  it("answers the pixel with a 1x1 GIF that is never cached and logs a page view", async () => {
    const t = setup();
    const res = await t.handler(
      img("/v1/tracker/img/blog", { referer: "https://blog.example/posts/1?utm=x#top" }),
      { remoteAddress: "203.0.113.77" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("cache-control")).toContain("no-store");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(43);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe("GIF89a");
    const [event] = t.events();
    expect(event).toMatchObject({
      status: "ok",
      type: "tracker",
      website: "blog",
      kind: "pageview",
      host: "blog.example",
      path: "/posts/1",
      user_agent: CHROME,
      browser: "Chrome",
      os: "Linux",
      device: "desktop",
      infos: { ip: "203.0.113.0", network: "203.0.113.0/24", version: 4 },
    });
    expect(event?.referrer).toBeUndefined();
    expect(typeof event?.cid).toBe("string");
    expect(Number.isNaN(Date.parse(String(event?.time)))).toBe(false);
    expect(t.sink.records()[0]?.msg).toBe("tracker");
    expect(t.sink.records()[0]?.level).toBe("info");
    expect(t.counted("blog", "pageview")).toBe(1);
  });

  it("takes a beacon with a custom event and its properties", async () => {
    const t = setup({ websites: ["shop"] });
    const res = await t.handler(
      beacon(
        {
          w: "shop",
          u: "https://shop.example/cart?id=42",
          r: "https://search.example/q?s=private",
          e: "checkout",
          d: { items: 3, coupon: true, plan: "pro" },
        },
        { "user-agent": IPHONE },
      ),
    );
    expect(res.status).toBe(204);
    const [event] = t.events();
    expect(event).toMatchObject({
      website: "shop",
      kind: "event",
      event: "checkout",
      props: { items: 3, coupon: true, plan: "pro" },
      host: "shop.example",
      path: "/cart",
      referrer: "https://search.example/q",
      device: "mobile",
      os: "iOS",
      browser: "Safari",
      details: { brand: "Apple", type: "iPhone" },
    });
    expect(t.counted("shop", "event")).toBe(1);
  });

  it("leaves out what it cannot know", async () => {
    const t = setup();
    await t.handler(img("/v1/tracker/img/blog"));
    const [event] = t.events();
    expect(event).toBeDefined();
    for (const key of ["host", "path", "referrer", "event", "props"]) {
      expect(event).not.toHaveProperty(key);
    }
    expect(event?.infos).toEqual({});
  });

  it("truncates IPv6 to /48 and maps IPv4-mapped addresses", async () => {
    const t = setup();
    await t.handler(img("/v1/tracker/img/a"), { remoteAddress: "2001:db8:abcd:12:1:2:3:4" });
    await t.handler(img("/v1/tracker/img/a"), { remoteAddress: "::ffff:198.51.100.9" });
    const [v6, mapped] = t.events();
    expect(v6?.infos).toEqual({ ip: "2001:db8:abcd::", network: "2001:db8:abcd::/48", version: 6 });
    expect(mapped?.infos).toMatchObject({ ip: "198.51.100.0", version: 4 });
  });

  it("keeps the full address only when anonymizeIp is off", async () => {
    const t = setup({ anonymizeIp: false });
    await t.handler(img("/v1/tracker/img/a"), { remoteAddress: "203.0.113.77" });
    expect(t.events()[0]?.infos).toMatchObject({ ip: "203.0.113.77", network: "203.0.113.0/24" });
  });

  it("ignores proxy headers unless trustProxy is set", async () => {
    const headers = { "x-forwarded-for": "198.51.100.7, 10.0.0.1", "cf-ipcountry": "DE" };
    const untrusted = setup();
    await untrusted.handler(img("/v1/tracker/img/a", headers), { remoteAddress: "10.0.0.1" });
    expect(untrusted.events()[0]?.infos).toEqual({
      ip: "10.0.0.0",
      network: "10.0.0.0/24",
      version: 4,
    });
    const trusted = setup({ trustProxy: true });
    await trusted.handler(img("/v1/tracker/img/a", headers), { remoteAddress: "10.0.0.1" });
    expect(trusted.events()[0]?.infos).toMatchObject({
      ip: "198.51.100.0",
      country_iso: "DE",
      lookup: "header",
    });
  });

  it("looks up geo with the truncated address only", async () => {
    const seen: string[] = [];
    const t = setup({
      geo: (ip) => {
        seen.push(ip);
        return { city: "Lyon", country_iso: "FR", asn: 64500, loc: "45.75,4.85" };
      },
    });
    await t.handler(img("/v1/tracker/img/a"), { remoteAddress: "203.0.113.77" });
    expect(seen).toEqual(["203.0.113.0"]);
    expect(t.events()[0]?.infos).toMatchObject({ city: "Lyon", asn: 64500, lookup: "lookup" });
  });

  it("logs the event without geo when the lookup throws", async () => {
    const t = setup({
      geo: () => {
        throw new Error("broken table");
      },
    });
    const res = await t.handler(img("/v1/tracker/img/a"), { remoteAddress: "203.0.113.77" });
    expect(res.status).toBe(200);
    expect(t.events()).toHaveLength(1);
    expect(t.dropped("geo_error")).toBe(1);
  });

  it("reads geo from request.cf", async () => {
    const t = setup();
    const base = img("/v1/tracker/img/a");
    const request: TrackerRequest = {
      method: "GET",
      url: base.url,
      headers: base.headers,
      cf: {
        country: "JP",
        city: "Tokyo",
        region: "Tokyo",
        regionCode: "13",
        timezone: "Asia/Tokyo",
        asn: 2516,
        asOrganization: "KDDI",
        latitude: "35.68",
        longitude: "139.69",
      },
    };
    await t.handler(request);
    expect(t.events()[0]?.infos).toEqual({
      country_iso: "JP",
      city: "Tokyo",
      region: "Tokyo",
      region_code: "13",
      timezone: "Asia/Tokyo",
      asn: 2516,
      org: "KDDI",
      loc: "35.68,139.69",
      lookup: "cf",
    });
  });

  it("honours DNT and Sec-GPC", async () => {
    const t = setup();
    expect((await t.handler(img("/v1/tracker/img/a", { dnt: "1" }))).status).toBe(200);
    expect((await t.handler(beacon({ w: "a" }, { "sec-gpc": "1" }))).status).toBe(204);
    expect(t.events()).toEqual([]);
    expect(t.dropped("privacy")).toBe(2);
  });

  it("drops bots and requests without a user agent", async () => {
    const t = setup();
    await t.handler(img("/v1/tracker/img/a", { "user-agent": GOOGLEBOT }));
    await t.handler(img("/v1/tracker/img/a", { "user-agent": "" }));
    expect(t.events()).toEqual([]);
    expect(t.dropped("bot")).toBe(2);
  });

  it("drops invalid and unlisted website ids, still answering the pixel", async () => {
    const t = setup({ websites: ["blog"] });
    expect((await t.handler(img("/v1/tracker/img/%3Cscript%3E"))).status).toBe(200);
    expect((await t.handler(img("/v1/tracker/img/%E0%A4%A"))).status).toBe(200);
    expect((await t.handler(img("/v1/tracker/img/other"))).status).toBe(200);
    expect(t.events()).toEqual([]);
    expect(t.dropped("invalid_website")).toBe(2);
    expect(t.dropped("unknown_website")).toBe(1);
  });

  it("refuses bodies over 8 KiB, deep JSON, and malformed properties", async () => {
    const t = setup();
    const big = JSON.stringify({ w: "a", d: { x: "y".repeat(9000) } });
    expect((await t.handler(beacon(big))).status).toBe(413);
    expect((await t.handler(beacon('{"w":"a","d":{"x":{"y":{"z":1}}}}'))).status).toBe(400);
    expect((await t.handler(beacon("not json"))).status).toBe(400);
    expect((await t.handler(beacon({ w: "a", e: "x", d: { nested: { a: 1 } } }))).status).toBe(204);
    expect((await t.handler(beacon({ w: "a", e: "<bad name>" }))).status).toBe(204);
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]));
    expect((await t.handler(beacon({ w: "a", e: "x", d: tooMany }))).status).toBe(204);
    expect(t.events()).toEqual([]);
    expect(t.dropped("too_large")).toBe(1);
    expect(t.dropped("invalid_body")).toBe(5);
  });

  it("caps long strings", async () => {
    const t = setup();
    await t.handler(
      beacon(
        { w: "a", u: `https://a.example/${"p".repeat(1000)}`, e: "x", d: { s: "v".repeat(1000) } },
        { "user-agent": `${CHROME} ${"z".repeat(1000)}` },
      ),
    );
    const [event] = t.events();
    expect(String(event?.path).length).toBe(512);
    expect(String(event?.user_agent).length).toBe(512);
    expect(String((event?.props as { s?: string } | undefined)?.s).length).toBe(256);
  });

  it("answers 404 and 405 for other paths and methods", async () => {
    const t = setup();
    expect((await t.handler(img("/elsewhere"))).status).toBe(404);
    expect((await t.handler(img("/v1/tracker/event"))).status).toBe(405);
    const post = new Request("http://t.test/v1/tracker/img/a", { method: "POST", body: "x" });
    expect((await t.handler(post)).status).toBe(405);
    expect(t.dropped("not_found")).toBe(1);
    expect(t.dropped("method")).toBe(2);
  });

  it("shares its metrics between handlers on one registry", () => {
    const registry = createRegistry({ runtimeInfo: false });
    createTrackerHandler({ registry });
    expect(() => createTrackerHandler({ registry })).not.toThrow();
  });

  it("throws TrackerError ERR_INVALID_OPTION for bad options", () => {
    const bad: unknown[] = [
      { websites: ["ok", "not ok"] },
      { websites: "blog" },
      { anonymizeIp: "yes" },
      { trustProxy: 1 },
      { geo: "maxmind" },
      { clientAddress: {} },
      { log: {} },
      { registry: {} },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        createTrackerHandler(options as TrackerHandlerOptions);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(options)).toBeInstanceOf(TrackerError);
      expect((caught as TrackerError).code).toBe("ERR_INVALID_OPTION");
    }
  });
});

const inWorkerd =
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
  "Cloudflare-Workers";

describe.runIf(inWorkerd)("createTrackerHandler in workerd", () => {
  it("reads geo from a real Request's cf object", async () => {
    const t = setup();
    const request = new Request("http://t.test/v1/tracker/img/a", {
      headers: { "user-agent": CHROME },
      cf: { country: "BR", city: "São Paulo", asn: 28573 },
    } as RequestInit);
    const res = await t.handler(request, { remoteAddress: "2001:db8:1:2::9" });
    expect(res.status).toBe(200);
    expect(t.events()[0]?.infos).toEqual({
      country_iso: "BR",
      city: "São Paulo",
      asn: 28573,
      lookup: "cf",
      ip: "2001:db8:1::",
      network: "2001:db8:1::/48",
      version: 6,
    });
  });
});
