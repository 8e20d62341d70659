// End to end in real headless Chromium: the drop-in script on a page served over
// loopback, beacons and pixels answered by the handler, events read back from the log.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, memorySink } from "@groundwork/core";
import { createRegistry, findSamples } from "@groundwork/metrics";
import { launchChromium } from "@groundwork/test-harness/chromium";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTrackerHandler } from "../src/index";

const SCRIPT = readFileSync(new URL("../dist/tracker.min.js", import.meta.url), "utf8");
// Headless Chromium says "HeadlessChrome", which the bot filter rightly drops.
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const sink = memorySink();
const registry = createRegistry({ runtimeInfo: false });
const tracker = createTrackerHandler({
  log: createLogger({ sink }),
  registry,
  websites: ["site"],
});
let server: Server;
let origin: string;
let browser: Browser;

function page(body: string): string {
  return `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`;
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const method = req.method ?? "GET";
  return new Request(`${origin}${req.url ?? "/"}`, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
  });
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path.startsWith("/v1/tracker/")) {
    const response = await tracker(await toRequest(req), {
      remoteAddress: req.socket.remoteAddress,
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
    return;
  }
  if (path === "/tracker.min.js") {
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end(SCRIPT);
    return;
  }
  if (path === "/nojs") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page(`<img src="/v1/tracker/img/site" alt="" width="1" height="1">`));
    return;
  }
  res.writeHead(200, { "content-type": "text/html" });
  res.end(
    page(
      `<h1>home</h1><script defer src="/tracker.min.js" data-website="site" data-endpoint="${origin}"></script>`,
    ),
  );
}

beforeAll(async () => {
  server = createServer((req, res) => {
    route(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

function events(): Record<string, unknown>[] {
  return sink.records().map((r) => r.fields);
}

async function until<T>(read: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for an event");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function dropped(reason: string): number {
  return findSamples(registry.snapshot(), "tracker_dropped_total", { reason })[0]?.value ?? 0;
}

async function visit(options: BrowserContextOptions, path: string, act?: string): Promise<void> {
  const context = await browser.newContext({ userAgent: USER_AGENT, ...options });
  try {
    const tab = await context.newPage();
    await tab.goto(`${origin}${path}`, { waitUntil: "load", timeout: 10_000 });
    if (act !== undefined) await tab.evaluate(act);
    // Beacons leave asynchronously; give them time to arrive before the context closes.
    await tab.waitForTimeout(500);
  } finally {
    await context.close();
  }
}

describe("tracker in Chromium", { timeout: 30_000 }, () => {
  it("logs a page view, an SPA navigation and a custom event", async () => {
    sink.drain();
    const context = await browser.newContext({ userAgent: USER_AGENT });
    try {
      const tab = await context.newPage();
      await tab.goto(`${origin}/start?q=secret`, { waitUntil: "load", timeout: 10_000 });
      const first = await until(() => events().find((e) => e.path === "/start"));
      expect(first).toMatchObject({
        status: "ok",
        type: "tracker",
        website: "site",
        kind: "pageview",
        host: new URL(origin).host,
        browser: "Chrome",
        os: "Linux",
        device: "desktop",
        user_agent: USER_AGENT,
        infos: { ip: "127.0.0.0", network: "127.0.0.0/24", version: 4 },
      });
      await tab.evaluate(() => history.pushState({}, "", "/pricing"));
      await until(() => events().find((e) => e.path === "/pricing"));
      await tab.evaluate(() => {
        const w = window as unknown as {
          groundworkTracker: { track(name: string, props: object): void };
        };
        w.groundworkTracker.track("signup", { plan: "pro", seats: 3 });
      });
      const custom = await until(() => events().find((e) => e.kind === "event"));
      expect(custom).toMatchObject({
        event: "signup",
        props: { plan: "pro", seats: 3 },
        path: "/pricing",
        website: "site",
      });
      await tab.goBack();
      await until(() => events().filter((e) => e.path === "/start").length === 2 || undefined);
      expect(events().map((e) => [e.kind, e.path])).toEqual([
        ["pageview", "/start"],
        ["pageview", "/pricing"],
        ["event", "/pricing"],
        ["pageview", "/start"],
      ]);
    } finally {
      await context.close();
    }
  });

  it("sends nothing when the browser says Do Not Track or Global Privacy Control", async () => {
    sink.drain();
    const track = `window.groundworkTracker && window.groundworkTracker.track("x")`;
    const dnt = `Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1" })`;
    const gpc = `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true })`;
    const before = dropped("privacy");
    const context = await browser.newContext({ userAgent: USER_AGENT });
    await context.addInitScript(dnt);
    const tab = await context.newPage();
    await tab.goto(`${origin}/dnt`, { waitUntil: "load", timeout: 10_000 });
    await tab.evaluate(track);
    await tab.waitForTimeout(500);
    await context.close();
    const gpcContext = await browser.newContext({ userAgent: USER_AGENT });
    await gpcContext.addInitScript(gpc);
    const gpcTab = await gpcContext.newPage();
    await gpcTab.goto(`${origin}/gpc`, { waitUntil: "load", timeout: 10_000 });
    await gpcTab.waitForTimeout(500);
    await gpcContext.close();
    // Nothing left the browser: the server did not even count a refusal.
    expect(events()).toEqual([]);
    expect(dropped("privacy")).toBe(before);

    // A browser that sends the header but whose script ignores it is refused by the server.
    await visit({ extraHTTPHeaders: { DNT: "1" } }, "/dnt-header");
    expect(events()).toEqual([]);
    expect(dropped("privacy")).toBeGreaterThan(before);
  });

  it("counts a visit from the pixel alone, with JavaScript disabled", async () => {
    sink.drain();
    await visit({ javaScriptEnabled: false }, "/nojs");
    const event = await until(() => events()[0]);
    expect(event).toMatchObject({
      website: "site",
      kind: "pageview",
      path: "/nojs",
      host: new URL(origin).host,
      browser: "Chrome",
    });
    expect(events()).toHaveLength(1);
  });
});
