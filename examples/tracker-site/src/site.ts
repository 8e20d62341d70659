import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createLogger, lineSink } from "@groundwork/core";
import { type RunningServer, type ServeContext, serve } from "@groundwork/node";
import {
  createTrackerHandler,
  type GeoLookup,
  renderTrackerDashboard,
  type TrackerEvent,
} from "@groundwork/tracker";
import { createEventStore, type EventStore } from "./events";
import { appPage, homePage, pricingPage } from "./pages";

/** Options of {@link createSite} and {@link startSite}. */
export interface SiteOptions {
  /** The website id the pages report as. Default `"site"`. */
  website?: string;
  /** Geo lookup for the tracker (e.g. `createMmdbGeo(…)`). Default none. */
  geo?: GeoLookup;
  /** Events the dashboard keeps, the newest. Default 10 000. */
  maxEvents?: number;
  /** Receives each tracker record as a JSON line. Default: standard output. */
  output?: (line: string) => void;
}

/** The site as a fetch handler, and the events it has received. */
export interface Site {
  handler: (request: Request, ctx: ServeContext) => Promise<Response>;
  store: EventStore;
}

function html(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

function trackerScript(): string {
  const path = createRequire(import.meta.url).resolve("@groundwork/tracker/tracker.min.js");
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`${path} is missing: build the packages first (pnpm build)`, { cause });
  }
}

/**
 * Builds the site: the pages, the tracker script, the tracker handler writing
 * one JSON line per event, and a dashboard drawn from the last events received.
 *
 * @param options - website id, geo lookup, dashboard capacity, line output
 * @returns the handler and its event store
 */
export function createSite(options: SiteOptions = {}): Site {
  const website = options.website ?? "site";
  const store = createEventStore(options.maxEvents ?? 10_000);
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Every tracker record is written out as a JSON line, as a log shipper would
  // read it, and kept for the dashboard as parsed back from that line.
  const log = createLogger({
    format: "json",
    serviceName: "tracker-site",
    sink: lineSink((line) => {
      output(line);
      const record = JSON.parse(line) as TrackerEvent & { msg?: string };
      if (record.msg === "tracker") store.add(record);
    }),
  });
  const tracker = createTrackerHandler({
    log,
    websites: [website],
    ...(options.geo === undefined ? {} : { geo: options.geo }),
  });
  const script = trackerScript();
  const pages: Record<string, () => string> = {
    "/": () => homePage(website),
    "/pricing": () => pricingPage(website),
    "/dashboard": () =>
      renderTrackerDashboard(store.events(), { title: `${website}: the last events` }),
  };
  const handler = async (request: Request, ctx: ServeContext): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/v1/tracker/")) return (await tracker(request, ctx)) as Response;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (pathname === "/tracker.min.js") {
      return new Response(script, {
        headers: {
          "content-type": "text/javascript; charset=utf-8",
          "cache-control": "public, max-age=3600",
        },
      });
    }
    if (pathname === "/app" || pathname.startsWith("/app/")) return html(appPage(website));
    const page = pages[pathname];
    return page === undefined ? html("<h1>Not found</h1>", 404) : html(page());
  };
  return { handler, store };
}

/** A running site. */
export interface RunningSite extends Site {
  server: RunningServer;
}

/**
 * Serves the site with `@groundwork/node`'s `serve()`.
 *
 * @param options - the site's options, plus `port` (default 0: a free one),
 *   `host` (default `127.0.0.1`) and `accessLog` (default `false`: `serve()`'s
 *   access log writes the full client address, which the tracker truncates)
 * @returns the site and its server (`server.url`, `server.close()`)
 */
export async function startSite(
  options: SiteOptions & { port?: number; host?: string; accessLog?: boolean } = {},
): Promise<RunningSite> {
  const site = createSite(options);
  const server = await serve(site.handler, {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    accessLog: options.accessLog ?? false,
    routes: [
      "/",
      "/pricing",
      "/app/*",
      "/dashboard",
      "/tracker.min.js",
      "/v1/tracker/img/:website",
    ],
  });
  return { ...site, server };
}
