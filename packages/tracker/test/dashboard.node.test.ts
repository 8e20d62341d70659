// The dashboard in real headless Chromium: rendered from events the handler logged,
// it shows the expected numbers and loads nothing from anywhere.
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, memorySink } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import { launchChromium } from "@groundwork/test-harness/chromium";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTrackerHandler, renderTrackerDashboard, type TrackerEvent } from "../src/index";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

let server: Server;
let browser: Browser;
let origin: string;
let html = "";

beforeAll(async () => {
  const sink = memorySink();
  const handler = createTrackerHandler({
    log: createLogger({ sink }),
    registry: createRegistry({ runtimeInfo: false }),
    geo: (ip) => (ip === "203.0.113.0" ? { country_iso: "FR" } : { country_iso: "JP" }),
  });
  const hit = (ua: string, page: string, ip: string, referrer?: string) =>
    handler(
      new Request(
        `http://t.test/v1/tracker/img/blog?u=${encodeURIComponent(page)}${
          referrer ? `&r=${encodeURIComponent(referrer)}` : ""
        }`,
        { headers: { "user-agent": ua } },
      ),
      { remoteAddress: ip },
    );
  await hit(CHROME, "https://blog.example/", "203.0.113.5", "https://news.example/item");
  await hit(CHROME, "https://blog.example/", "203.0.113.6");
  await hit(FIREFOX, "https://blog.example/about", "198.51.100.1");
  html = renderTrackerDashboard(
    sink.records().map((r) => r.fields as unknown as TrackerEvent),
    { title: "blog.example" },
  );
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it("shows the numbers of the events it was given and requests nothing else", {
  timeout: 20_000,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const tab = await context.newPage();
    const requested: string[] = [];
    tab.on("request", (r) => requested.push(r.url()));
    await tab.goto(`${origin}/`, { waitUntil: "load", timeout: 10_000 });
    expect(requested).toEqual([`${origin}/`]);
    expect(await tab.textContent("#total")).toBe("3");
    // One line per row: label, count (the bar cell is empty text).
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText, not the DOM property; rows must keep their line breaks
    const text = (await tab.innerText("main")).replace(/\t*\n+/g, "\n");
    expect(text).toMatch(/Top pages\n\/\t2\n\/about\t1/);
    expect(text).toMatch(/Browsers\nChrome\t2\nFirefox\t1/);
    expect(text).toMatch(/Countries\nFR\t2\nJP\t1/);
    expect(text).toMatch(/Referrers\n\(direct\)\t2\nhttps:\/\/news\.example\/item\t1/);
    expect(text).toMatch(/Operating systems\nLinux\t2\nWindows\t1/);
    const dir = join(tmpdir(), "groundwork-tracker");
    mkdirSync(dir, { recursive: true });
    const png = await tab.screenshot({ path: join(dir, "dashboard.png"), fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.byteLength).toBeGreaterThan(5_000);
  } finally {
    await context.close();
  }
});
