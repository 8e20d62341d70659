import type { GeoInfo } from "./geo";

/** A value a custom event's properties may hold. */
export type TrackerPropValue = string | number | boolean;

/**
 * One logged visit or custom event: the fields of the `tracker` log record.
 * The record's `level` (`info`) and timestamp come from the logger's own line;
 * fields the server cannot know are absent.
 *
 * @example
 * ```ts
 * const event: TrackerEvent = {
 *   status: "ok",
 *   type: "tracker",
 *   time: "2026-01-01T00:00:00.000Z",
 *   website: "blog",
 *   kind: "pageview",
 *   cid: "3f0c…",
 *   infos: { ip: "203.0.113.0", network: "203.0.113.0/24", version: 4 },
 * };
 * ```
 */
export interface TrackerEvent {
  status: "ok";
  type: "tracker";
  /** When the server received the event, ISO 8601. */
  time: string;
  /** The site's id, as in `/v1/tracker/img/{website}` or `data-website`. */
  website: string;
  /** `pageview` (page loads and SPA navigations) or `event` (custom events). */
  kind: "pageview" | "event";
  /** A random id for this event (no visitor id is ever derived). */
  cid: string;
  /** The page's host name. */
  host?: string;
  /** The page's path, without query string or fragment. */
  path?: string;
  /** The referring page, without query string or fragment. */
  referrer?: string;
  user_agent?: string;
  /** `desktop`, `mobile`, `tablet` or `tv`. */
  device?: string;
  browser?: string;
  os?: string;
  details?: { brand?: string; type?: string };
  infos: GeoInfo & {
    /** The client address, truncated unless `anonymizeIp` is off. */
    ip?: string;
    network?: string;
    version?: 4 | 6;
    /** Where geo came from: `cf`, `header` or `lookup`. */
    lookup?: string;
  };
  /** A custom event's name. */
  event?: string;
  /** A custom event's properties (flat, bounded). */
  props?: Record<string, TrackerPropValue>;
}
