// The example site in real headless Chromium: visitors browse static pages, an SPA
// view and press a button; the dashboard then shows those numbers, in its text and in
// a screenshot (bar lengths measured in pixels).

import { launchChromium } from "@groundwork/test-harness/chromium";
import { writeMmdb } from "@groundwork/test-harness/mmdb";
import { createMmdbGeo } from "@groundwork/tracker/mmdb";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventStore } from "../src/events";
import { type RunningSite, startSite } from "../src/site";

// Headless Chromium says "HeadlessChrome", which the tracker rightly drops as a bot.
const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const BAR_BLUE = [0x4c, 0x7b, 0xd9];

// Loopback visitors are 127.0.0.1, looked up as 127.0.0.0 in this database.
const GEO = writeMmdb([
  {
    network: "127.0.0.0/8",
    data: {
      country: { iso_code: "FR", names: { en: "France" } },
      city: { names: { en: "Lyon" } },
      location: { latitude: 45.75, longitude: 4.85, time_zone: "Europe/Paris" },
    },
  },
]);

let site: RunningSite;
let browser: Browser;
let origin: string;
const lines: string[] = [];

beforeAll(async () => {
  site = await startSite({
    geo: createMmdbGeo(GEO),
    output: (line) => lines.push(line),
  });
  origin = site.server.url;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await site?.server.close();
});

async function until<T>(read: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for tracker events");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const views = (path: string) =>
  site.store.events().filter((e) => e.kind === "pageview" && e.path === path).length;

/** Waits until the store holds `count` page views of `path`. */
const viewed = (path: string, count = 1) => until(() => views(path) >= count || undefined);

/**
 * Blue pixels of each bar cell's middle row in a PNG screenshot: the PNG is decoded
 * by the browser in a blank page, the cells' boxes come from the dashboard's layout.
 */
async function barLengths(
  png: Buffer,
  cells: { x: number; y: number; width: number; height: number }[],
): Promise<number[]> {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(
      async ({ data, cells, blue }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width;
        canvas.height = img.height;
        const g = canvas.getContext("2d") as CanvasRenderingContext2D;
        g.drawImage(img, 0, 0);
        return cells.map((c) => {
          const y = Math.round(c.y + c.height / 2);
          const row = g.getImageData(Math.round(c.x), y, Math.round(c.width), 1).data;
          let n = 0;
          for (let i = 0; i < row.length; i += 4) {
            if (row[i] === blue[0] && row[i + 1] === blue[1] && row[i + 2] === blue[2]) n++;
          }
          return n;
        });
      },
      { data: png.toString("base64"), cells, blue: BAR_BLUE },
    );
  } finally {
    await blank.close();
  }
}

/** Rows of the dashboard table under `heading`: label, count, bar cell box. */
async function table(tab: Page, heading: string) {
  const rows = tab
    .locator("section", { has: tab.locator("h2", { hasText: heading }) })
    .locator("tr");
  const out: {
    label: string;
    count: number;
    bar: { x: number; y: number; width: number; height: number };
  }[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    const box = await row.locator("td.bar").boundingBox();
    if (box === null) throw new Error(`no bar in row ${i} of ${heading}`);
    out.push({
      label: (await row.locator("td").first().textContent()) ?? "",
      count: Number(await row.locator("td.n").textContent()),
      bar: box,
    });
  }
  return out;
}

describe("the tracker example site", () => {
  it("counts page views, an SPA navigation and a custom event, and shows them on the dashboard", async () => {
    const context = await browser.newContext({ userAgent: CHROME });
    try {
      const tab = await context.newPage();
      await tab.goto(`${origin}/`, { waitUntil: "load" });
      await viewed("/");
      await tab.click("#signup");
      await until(() => site.store.events().find((e) => e.kind === "event"));
      await tab.click('nav a[href="/pricing"]');
      await viewed("/pricing");
      await tab.click('nav a[href="/app"]');
      await viewed("/app");
      // An SPA navigation: the document stays, the tracker sees a new path.
      await tab.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
      });
      await tab.click('a[href="/app/settings"]');
      await viewed("/app/settings");
      expect(await tab.textContent("#view")).toBe("Settings");
      expect(await tab.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    } finally {
      await context.close();
    }
    const second = await browser.newContext({ userAgent: FIREFOX });
    try {
      await (await second.newPage()).goto(`${origin}/`, { waitUntil: "load" });
      await viewed("/", 2);
    } finally {
      await second.close();
    }

    const events = site.store.events();
    expect(events.map((e) => [e.kind, e.path, e.browser])).toEqual([
      ["pageview", "/", "Chrome"],
      ["event", "/", "Chrome"],
      ["pageview", "/pricing", "Chrome"],
      ["pageview", "/app", "Chrome"],
      ["pageview", "/app/settings", "Chrome"],
      ["pageview", "/", "Firefox"],
    ]);
    expect(events[1]).toMatchObject({ event: "signup", props: { plan: "pro" } });
    // Geo from the MMDB file, for the truncated loopback address.
    expect(events[0]?.infos).toMatchObject({
      ip: "127.0.0.0",
      country_iso: "FR",
      city: "Lyon",
      lookup: "lookup",
    });
    // Every event was written out as one JSON line at level info.
    expect(lines).toHaveLength(6);
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({ level: "info", msg: "tracker" });

    const viewer = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const tab = await viewer.newPage();
      const requested: string[] = [];
      tab.on("request", (r) => requested.push(r.url()));
      await tab.goto(`${origin}/dashboard`, { waitUntil: "load" });
      // The dashboard loads nothing else, and is not itself tracked.
      expect(requested).toEqual([`${origin}/dashboard`]);
      expect(site.store.events()).toHaveLength(6);
      expect(await tab.textContent("#total")).toBe("5");
      const host = new URL(origin).host;
      const expected: Record<string, [string, number][]> = {
        "Top pages": [
          ["/", 2],
          ["/app", 1],
          ["/app/settings", 1],
          ["/pricing", 1],
        ],
        Referrers: [
          ["(direct)", 2],
          [`http://${host}/pricing`, 2],
          [`http://${host}/`, 1],
        ],
        Browsers: [
          ["Chrome", 4],
          ["Firefox", 1],
        ],
        Countries: [["FR", 5]],
        "Custom events": [["signup", 1]],
      };
      const png = await tab.screenshot({ fullPage: true });
      for (const [heading, rows] of Object.entries(expected)) {
        const shown = await table(tab, heading);
        expect(
          shown.map((r) => [r.label, r.count]),
          heading,
        ).toEqual(rows);
        // In the screenshot, each bar is as long as its count says, relative to the longest.
        const lengths = await barLengths(
          png,
          shown.map((r) => r.bar),
        );
        const longest = Math.max(...lengths);
        expect(longest, heading).toBeGreaterThan(50);
        const max = rows[0]?.[1] ?? 1;
        for (const [i, [, count]] of rows.entries()) {
          expect(
            Math.abs((lengths[i] as number) - (longest * count) / max),
            heading,
          ).toBeLessThanOrEqual(2);
        }
      }
    } finally {
      await viewer.close();
    }
  });
});

describe("createEventStore", () => {
  it("keeps the newest events within its capacity", () => {
    const store = createEventStore(2);
    const event = (path: string) =>
      ({
        status: "ok",
        type: "tracker",
        time: "",
        website: "s",
        kind: "pageview",
        cid: path,
        infos: {},
        path,
      }) as const;
    store.add(event("/a"));
    store.add(event("/b"));
    store.add(event("/c"));
    expect(store.events().map((e) => e.path)).toEqual(["/b", "/c"]);
    expect(store.forgotten()).toBe(1);
  });
});
