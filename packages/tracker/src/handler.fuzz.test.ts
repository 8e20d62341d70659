import { createLogger, memorySink } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createTrackerHandler } from "./handler";
import { clientIp } from "./internal/ip";

const path = fc.oneof(
  fc.constantFrom("/v1/tracker/event", "/v1/tracker/img/", "/v1/tracker/img/blog", "/"),
  fc.string().map((s) => `/v1/tracker/img/${encodeURIComponent(s)}`),
  fc.webPath(),
);
const headerValue = fc.string({ maxLength: 600 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
const headers = fc.dictionary(
  fc.constantFrom(
    "user-agent",
    "referer",
    "dnt",
    "sec-gpc",
    "x-forwarded-for",
    "cf-connecting-ip",
    "cf-ipcountry",
    "content-length",
    "x-other",
  ),
  headerValue,
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 10_000 }),
  fc.json({ maxDepth: 6 }),
  fc
    .record(
      {
        w: fc.oneof(fc.constantFrom("blog", "a"), fc.string()),
        u: fc.oneof(fc.webUrl(), fc.string()),
        r: fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string()),
        e: fc.oneof(fc.constantFrom("signup"), fc.string()),
        d: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

describe("createTrackerHandler under random input", () => {
  it("always answers 200, 204 or 4xx, quickly, and never throws", async () => {
    const sink = memorySink({ maxRecords: 100 });
    const handler = createTrackerHandler({
      log: createLogger({ sink }),
      registry: createRegistry({ runtimeInfo: false }),
      trustProxy: true,
      geo: () => ({ country_iso: "FR" }),
    });
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.constantFrom("GET", "POST", "HEAD", "PUT", "OPTIONS"),
        headers,
        body,
        fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { nil: undefined }),
        async (p, method, h, b, remoteAddress) => {
          let request: Request;
          try {
            request = new Request(`http://t.test${p}`, {
              method,
              headers: h,
              ...(b !== undefined && method !== "GET" && method !== "HEAD" ? { body: b } : {}),
            });
          } catch {
            return; // the runtime refused the request itself (e.g. a bad header value)
          }
          const started = performance.now();
          const res = await handler(request, { remoteAddress });
          expect(performance.now() - started).toBeLessThan(250);
          expect(
            res.status === 200 || res.status === 204 || (res.status >= 400 && res.status < 500),
          ).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parses or rejects any address without throwing, never keeping more than the prefix", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), (raw) => {
        const ip = clientIp(raw, true);
        if (ip === undefined) return;
        if (ip.version === 4) expect(ip.ip.endsWith(".0")).toBe(true);
        else expect(ip.ip.split("::")[1]).toBe("");
      }),
      { numRuns: 1000 },
    );
  });
});
