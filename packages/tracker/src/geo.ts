/**
 * Where a visitor's (truncated) address is, as far as the server knows. Field
 * names are those of the logged event's `infos` object; every field is optional
 * and absent fields are left out of the record, never guessed.
 *
 * @example
 * ```ts
 * const geo = (ip: string): GeoInfo | undefined =>
 *   ip.startsWith("203.0.113.") ? { country_iso: "FR", city: "Lyon" } : undefined;
 * ```
 */
export interface GeoInfo {
  city?: string;
  region?: string;
  region_code?: string;
  country?: string;
  country_iso?: string;
  timezone?: string;
  utc_offset?: string;
  currency?: string;
  asn?: number;
  org?: string;
  /** `"latitude,longitude"`. */
  loc?: string;
  /**
   * The network the lookup's answer covers, in CIDR notation. Logged only when
   * it is at least as wide as the truncated network, so it never narrows down
   * where a visitor is.
   */
  network?: string;
}

/**
 * Looks up the location of a client address. Called with the address after
 * truncation (when `anonymizeIp` is on), so a lookup table never sees a full
 * address. Should not throw; a throw is counted as `geo_error` and the event
 * logged without geo.
 *
 * @param ip - the (truncated) client address.
 * @returns what is known, or `undefined`.
 */
export type GeoLookup = (ip: string) => GeoInfo | undefined;

const GEO_KEYS: readonly (keyof GeoInfo)[] = [
  "city",
  "region",
  "region_code",
  "country",
  "country_iso",
  "timezone",
  "utc_offset",
  "currency",
  "asn",
  "org",
  "loc",
  "network",
];

const MAX_GEO_STRING = 128;

/** Keeps the known keys with values of the right type and bounded length. */
export function cleanGeo(input: unknown): GeoInfo | undefined {
  if (input === null || typeof input !== "object") return undefined;
  const source = input as Record<string, unknown>;
  const out: Record<string, string | number> = {};
  let any = false;
  for (const key of GEO_KEYS) {
    const value = source[key];
    if (key === "asn") {
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
        out[key] = value;
        any = true;
      }
    } else if (typeof value === "string" && value !== "") {
      out[key] = value.slice(0, MAX_GEO_STRING);
      any = true;
    }
  }
  return any ? (out as GeoInfo) : undefined;
}

/** Reads the properties Cloudflare puts on `request.cf` in Workers. */
export function geoFromCf(cf: unknown): GeoInfo | undefined {
  if (cf === null || typeof cf !== "object") return undefined;
  const c = cf as Record<string, unknown>;
  const lat = c.latitude;
  const lon = c.longitude;
  return cleanGeo({
    city: c.city,
    region: c.region,
    region_code: c.regionCode,
    country_iso: c.country,
    timezone: c.timezone,
    asn: c.asn,
    org: c.asOrganization,
    loc: typeof lat === "string" && typeof lon === "string" ? `${lat},${lon}` : undefined,
  });
}
