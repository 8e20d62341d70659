import { describe, expect, it } from "vitest";
import { renderTrackerDashboard } from "./dashboard";
import type { TrackerEvent } from "./event";

function view(day: string, path: string, extra: Partial<TrackerEvent> = {}): TrackerEvent {
  return {
    status: "ok",
    type: "tracker",
    time: `${day}T10:00:00.000Z`,
    website: "blog",
    kind: "pageview",
    cid: "x",
    path,
    infos: {},
    ...extra,
  };
}

describe("renderTrackerDashboard", () => {
  it("counts page views per day and ranks pages, referrers and countries", () => {
    const html = renderTrackerDashboard([
      view("2026-01-02", "/a", { infos: { country_iso: "FR" }, browser: "Firefox" }),
      view("2026-01-01", "/a", { referrer: "https://news.example/", infos: { country_iso: "FR" } }),
      view("2026-01-01", "/b", { infos: { country_iso: "JP" } }),
      { ...view("2026-01-01", "/b"), kind: "event", event: "signup" },
    ]);
    expect(html).toContain('<p class="total" id="total">3</p>');
    expect(html.indexOf("2026-01-01")).toBeLessThan(html.indexOf("2026-01-02"));
    expect(html).toMatch(/<td>2026-01-01<\/td><td class="n">2<\/td>/);
    expect(html).toMatch(/Top pages<\/h2><table><tr><td>\/a<\/td><td class="n">2<\/td>/);
    expect(html).toMatch(/<td>\(direct\)<\/td><td class="n">2<\/td>/);
    expect(html).toMatch(/<td>FR<\/td><td class="n">2<\/td>/);
    expect(html).toMatch(/<td>signup<\/td><td class="n">1<\/td>/);
    expect(html).not.toMatch(/<(script|link|img)\b/);
  });

  it("escapes what visitors sent", () => {
    const html = renderTrackerDashboard([view("2026-01-01", '/<script>alert("x")</script>')]);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });
});
