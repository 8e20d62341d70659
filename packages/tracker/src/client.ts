// The browser side: runs in pages, so it uses DOM globals (see tsconfig.client.json) and
// stays under 1 KB gzipped as the drop-in script (test/size.node.test.ts enforces it).

/** A value a custom event's properties may hold. */
export type TrackProps = Record<string, string | number | boolean>;

/** Options of {@link createTracker}. */
export interface TrackerClientOptions {
  /** The site's id, as allowed by the server (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`). */
  website: string;
  /** Origin (and path prefix) of the tracker server. Default `""`: the page's own origin. */
  endpoint?: string;
  /** Send a page view now and on every SPA navigation. Default `true`. */
  auto?: boolean;
}

/** The handle {@link createTracker} returns; its methods never throw. */
export interface TrackerClient {
  /** Sends a custom event with optional flat properties. */
  track(event: string, props?: TrackProps): void;
  /** Sends a page view for the current location (skipped if the path has not changed). */
  page(): void;
}

/**
 * Starts page-view tracking in a browser: one page view on start and one per
 * SPA navigation (`history.pushState`, `replaceState`, `popstate`), custom
 * events with `track()`. Sends with `navigator.sendBeacon`, falling back to an
 * image request; sets no cookies and uses no storage; sends nothing when the
 * browser says Do Not Track or Global Privacy Control.
 *
 * @param options - `website` (required), `endpoint` (default `""`), `auto` (default `true`)
 * @returns a {@link TrackerClient}; nothing it does throws
 * @example
 * ```ts
 * import { createTracker } from "@groundwork/tracker/client";
 *
 * const tracker = createTracker({ website: "blog", endpoint: "https://t.example.com" });
 * tracker.track("signup", { plan: "pro" });
 * ```
 */
export function createTracker(options: TrackerClientOptions): TrackerClient {
  const base = `${options.endpoint ?? ""}/v1/tracker/`;
  const website = options.website;
  let last: string | undefined;
  const send = (event?: string, props?: TrackProps) => {
    try {
      const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
      if (nav.doNotTrack === "1" || nav.globalPrivacyControl) return;
      const url = location.href;
      const referrer = document.referrer;
      const body = JSON.stringify({ w: website, u: url, r: referrer, e: event, d: props });
      if (!nav.sendBeacon?.(`${base}event`, body)) {
        new Image().src = `${base}img/${encodeURIComponent(website)}?${new URLSearchParams({
          u: url,
          r: referrer,
          e: event ?? "",
        })}`;
      }
    } catch {
      // analytics must never break the page
    }
  };
  const page = () => {
    const path = location.pathname;
    if (path !== last) {
      last = path;
      send();
    }
  };
  if (options.auto !== false) {
    try {
      for (const name of ["pushState", "replaceState"] as const) {
        const original = history[name];
        history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
          original.apply(this, args);
          page();
        };
      }
      addEventListener("popstate", page);
    } catch {
      // a locked-down history object: page views on load only
    }
    page();
  }
  return { track: send, page };
}
