import type { TrackerEvent } from "./event";

/** Options of {@link renderTrackerDashboard}. */
export interface TrackerDashboardOptions {
  /** Page title. Default `"Visits"`. */
  title?: string;
  /** Rows per table. Default `10`. */
  limit?: number;
}

type Tally = Map<string, number>;

function bump(tally: Tally, key: string | undefined): void {
  if (key === undefined || key === "") return;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function top(tally: Tally, limit: number): [string, number][] {
  return [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function table(heading: string, rows: [string, number][]): string {
  const max = rows.reduce((m, [, n]) => Math.max(m, n), 0);
  const body = rows
    .map(
      ([key, n]) =>
        `<tr><td>${escapeHtml(key)}</td><td class="n">${n}</td><td class="bar"><span style="width:${Math.round((100 * n) / max)}%"></span></td></tr>`,
    )
    .join("");
  return `<section><h2>${escapeHtml(heading)}</h2>${
    rows.length === 0 ? "<p>No data.</p>" : `<table>${body}</table>`
  }</section>`;
}

/**
 * Renders a self-contained HTML dashboard from tracker events: page views per
 * day, top pages, referrers, browsers, operating systems, devices and
 * countries, plus custom event counts. The page loads nothing else (inline
 * styles, no scripts, a `Content-Security-Policy` that forbids other requests).
 *
 * @param events - events as logged by the handler (e.g. the fields of `tracker` records)
 * @param options - `title` (default `"Visits"`), `limit` rows per table (default `10`)
 * @returns the HTML document
 * @example
 * ```ts
 * const events: TrackerEvent[] = [];
 * const html = renderTrackerDashboard(events, { title: "blog.example" });
 * const response = new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
 * ```
 */
export function renderTrackerDashboard(
  events: Iterable<TrackerEvent>,
  options: TrackerDashboardOptions = {},
): string {
  const title = options.title ?? "Visits";
  const limit = options.limit ?? 10;
  const days: Tally = new Map();
  const pages: Tally = new Map();
  const referrers: Tally = new Map();
  const browsers: Tally = new Map();
  const systems: Tally = new Map();
  const devices: Tally = new Map();
  const countries: Tally = new Map();
  const custom: Tally = new Map();
  let views = 0;
  for (const e of events) {
    if (e.kind === "event") {
      bump(custom, e.event);
      continue;
    }
    views++;
    bump(days, typeof e.time === "string" ? e.time.slice(0, 10) : undefined);
    bump(pages, e.path);
    bump(referrers, e.referrer ?? "(direct)");
    bump(browsers, e.browser);
    bump(systems, e.os);
    bump(devices, e.device);
    bump(countries, e.infos?.country_iso ?? e.infos?.country);
  }
  const perDay = [...days].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330;background:#f7f8fa}
h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1rem;margin:0 0 .5rem}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:.8rem}
table{width:100%;border-collapse:collapse}td{padding:.15rem .3rem;vertical-align:middle}
td.n{text-align:right;font-variant-numeric:tabular-nums;width:3rem}td.bar{width:35%}
td.bar span{display:block;height:.7rem;background:#4c7bd9;border-radius:2px}
.total{font-size:2rem;font-weight:600}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<main>
<section><h2>Page views</h2><p class="total" id="total">${views}</p></section>
${table("Page views per day", perDay)}
${table("Top pages", top(pages, limit))}
${table("Referrers", top(referrers, limit))}
${table("Browsers", top(browsers, limit))}
${table("Operating systems", top(systems, limit))}
${table("Devices", top(devices, limit))}
${table("Countries", top(countries, limit))}
${table("Custom events", top(custom, limit))}
</main></body></html>
`;
}
