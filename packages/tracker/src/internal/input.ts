// Validation of what a browser sends: ids, URLs, custom event names and properties.
import type { TrackerPropValue } from "../event";
import { parseUrl } from "./url";

export const WEBSITE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_BODY_BYTES = 8 * 1024;
export const MAX_URL = 512;
export const MAX_USER_AGENT = 512;
export const MAX_EVENT_NAME = 64;
export const MAX_PROPS = 20;
export const MAX_PROP_KEY = 64;
export const MAX_PROP_STRING = 256;
export const MAX_JSON_DEPTH = 3;
const EVENT_NAME = /^[\w.:\- ]{1,64}$/;

/** The page a URL names: host and path, query string and fragment dropped. */
export interface PageUrl {
  host: string;
  path: string;
  /** Origin and path, for referrers. */
  clean: string;
}

export function pageUrl(text: unknown): PageUrl | undefined {
  if (typeof text !== "string" || text === "" || text.length > 2048) return undefined;
  const url = parseUrl(text);
  if (url === undefined) return undefined;
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  const path = url.pathname.slice(0, MAX_URL);
  return { host: url.host, path, clean: `${url.origin}${path}`.slice(0, MAX_URL) };
}

export function eventName(value: unknown): string | undefined {
  return typeof value === "string" && EVENT_NAME.test(value) ? value : undefined;
}

/** Nesting depth of a JSON text, counted without parsing it (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Custom event properties: a flat object of bounded strings, finite numbers and booleans. */
export function eventProps(value: unknown): Record<string, TrackerPropValue> | undefined | false {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const out: Record<string, TrackerPropValue> = {};
  let count = 0;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (++count > MAX_PROPS || key.length === 0 || key.length > MAX_PROP_KEY) return false;
    if (typeof v === "string") out[key] = v.slice(0, MAX_PROP_STRING);
    else if (typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) out[key] = v;
    else return false;
  }
  return count === 0 ? undefined : out;
}
