import { createLogger, memorySink } from "@groundwork/core";
import { createRegistry, findSamples } from "@groundwork/metrics";
import { writeMmdb } from "@groundwork/test-harness/mmdb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TrackerError } from "./errors";
import type { GeoLookup } from "./geo";
import { createTrackerHandler, type TrackerHandlerOptions } from "./handler";
import { cidr, clientIp } from "./internal/ip";
import { createMmdbGeo } from "./mmdb";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const place = (city: string, lat: number, lon: number) => ({
  city: { geoname_id: 1, names: { en: city, fr: `${city} (fr)` } },
  country: { iso_code: "FR", names: { en: "France", fr: "France (fr)" } },
  location: { latitude: lat, longitude: lon, time_zone: "Europe/Paris", accuracy_radius: 20 },
  subdivisions: [{ iso_code: "ARA", names: { en: "Auvergne-Rhône-Alpes" } }],
});

// GeoLite2-City shape. The /26 blocks split 203.0.113.0/24, so a lookup of the
// truncated address (…0) and of the full one (…77) land in different records.
const CITY = writeMmdb([
  { network: "203.0.113.0/26", data: place("Lyon", 45.75, 4.85) },
  { network: "203.0.113.64/26", data: place("Grenoble", 45.17, 5.72) },
  { network: "198.51.0.0/16", data: { country: { iso_code: "DE", names: { en: "Germany" } } } },
  { network: "2001:db8:1::/49", data: place("Annecy", 45.9, 6.12) },
  { network: "2001:db8:1:8000::/49", data: place("Chambéry", 45.56, 5.92) },
]);

// GeoLite2-ASN shape, in an IPv4-only tree.
const ASN = writeMmdb(
  [
    {
      network: "203.0.112.0/20",
      data: { autonomous_system_number: 64_500, autonomous_system_organization: "Example Net" },
    },
  ],
  { databaseType: "GeoLite2-ASN", ipVersion: 4 },
);

/** {@link CITY} with the end of its data section (the Chambéry record) overwritten. */
function damaged(): Uint8Array {
  const bytes = CITY.slice();
  const marker = bytes.findLastIndex((b, i) => b === 0xab && bytes[i + 1] === 0xcd);
  bytes.fill(0xff, marker - 100, marker);
  return bytes;
}

function setup(options: TrackerHandlerOptions) {
  const sink = memorySink();
  const registry = createRegistry({ runtimeInfo: false });
  const handler = createTrackerHandler({
    log: createLogger({ sink, level: "info" }),
    registry,
    ...options,
  });
  const visit = async (remoteAddress: string) => {
    const res = await handler(
      new Request("http://t.test/v1/tracker/img/blog", { headers: { "user-agent": CHROME } }),
      { remoteAddress },
    );
    expect(res.status).toBe(200);
    const records = sink.records();
    return records[records.length - 1]?.fields.infos as Record<string, unknown>;
  };
  const dropped = (reason: string) =>
    findSamples(registry.snapshot(), "tracker_dropped_total", { reason })[0]?.value ?? 0;
  return { visit, dropped };
}

describe("createMmdbGeo", () => {
  it("reads City records for IPv4 and IPv6 networks", () => {
    const geo = createMmdbGeo(CITY);
    expect(geo("203.0.113.0")).toEqual({
      city: "Lyon",
      region: "Auvergne-Rhône-Alpes",
      region_code: "ARA",
      country: "France",
      country_iso: "FR",
      timezone: "Europe/Paris",
      loc: "45.75,4.85",
      network: "203.0.113.0/26",
    });
    expect(geo("203.0.113.77")?.city).toBe("Grenoble");
    expect(geo("2001:db8:1::")).toMatchObject({ city: "Annecy", network: "2001:db8:1::/49" });
    expect(geo("2001:db8:1:ffff::")?.city).toBe("Chambéry");
  });

  it("leaves out what a record does not hold, and answers undefined for a miss", () => {
    const geo = createMmdbGeo(CITY);
    expect(geo("198.51.100.0")).toEqual({
      country: "Germany",
      country_iso: "DE",
      network: "198.51.0.0/16",
    });
    expect(geo("192.0.2.0")).toBeUndefined();
    expect(geo("2001:db8:2::")).toBeUndefined();
  });

  it("names places in the chosen language, falling back to English", () => {
    const geo = createMmdbGeo(CITY, { language: "fr" });
    expect(geo("203.0.113.0")).toMatchObject({
      city: "Lyon (fr)",
      country: "France (fr)",
      region: "Auvergne-Rhône-Alpes",
    });
  });

  it("merges several databases, the first one that knows a field winning", () => {
    const geo = createMmdbGeo([CITY, ASN]);
    expect(geo("203.0.113.0")).toMatchObject({
      city: "Lyon",
      asn: 64_500,
      org: "Example Net",
      network: "203.0.113.0/26",
    });
    // Only the ASN file knows this one; an IPv6 address skips the IPv4-only file.
    expect(geo("203.0.120.0")).toEqual({
      asn: 64_500,
      org: "Example Net",
      network: "203.0.112.0/20",
    });
    expect(geo("2001:db8:1::")?.asn).toBeUndefined();
  });

  it("answers any address without throwing, with a network that holds it", () => {
    // Addresses in and around the databases' networks, not only random ones.
    const byte = fc.integer({ min: 0, max: 255 });
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    const nearby = fc.oneof(
      fc.tuple(fc.integer({ min: 110, max: 121 }), byte).map(([c, d]) => `203.0.${c}.${d}`),
      fc.tuple(byte, byte).map(([c, d]) => `198.51.${c}.${d}`),
      fc.tuple(group, group).map(([g, h]) => `2001:db8:1:${g}::${h}`),
    );
    const geo = createMmdbGeo([CITY, ASN]);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), nearby), fc.boolean(), (raw, anonymize) => {
        const ip = clientIp(raw, anonymize);
        if (ip === undefined) return;
        const found = geo(ip.ip);
        if (found?.network === undefined) return;
        const prefix = Number(found.network.split("/")[1]);
        expect(cidr(ip.ip, prefix)).toBe(found.network);
      }),
      { numRuns: 500 },
    );
    expect(cidr("203.0.113.77", 20)).toBe("203.0.112.0/20");
    expect(cidr("2001:db8:1:ffff::1", 49)).toBe("2001:db8:1:8000::/49");
    expect(cidr("2001:db8::1", 0)).toBe("::/0");
    expect(cidr("203.0.113.77", 33)).toBeUndefined();
  });

  it("refuses a file that is not a readable MMDB database at construction", () => {
    const catchError = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      throw new Error("expected a throw");
    };
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
    const truncated = CITY.subarray(0, 40);
    // The metadata survives, most of the tree is cut off.
    const marker = CITY.findLastIndex((b, i) => b === 0xab && CITY[i + 1] === 0xcd);
    const treeless = new Uint8Array([...CITY.subarray(0, 12), ...CITY.subarray(marker)]);
    // The metadata and tree survive, the data section is garbage.
    const badData = createMmdbGeo(damaged());
    expect(() => badData("2001:db8:1:ffff::")).toThrow();
    for (const bytes of [garbage, truncated, treeless, new Uint8Array(0)]) {
      const err = catchError(() => createMmdbGeo(bytes));
      expect(err).toBeInstanceOf(TrackerError);
      expect((err as TrackerError).code).toBe("ERR_INVALID_DATABASE");
      expect((err as TrackerError).message).toMatch(/^createMmdbGeo: database 0 is not/);
    }
    expect((catchError(() => createMmdbGeo([CITY, garbage])) as Error).message).toContain(
      "database 1",
    );
    expect((catchError(() => createMmdbGeo([])) as TrackerError).code).toBe("ERR_INVALID_OPTION");
    expect((catchError(() => createMmdbGeo(CITY, { language: "" })) as TrackerError).code).toBe(
      "ERR_INVALID_OPTION",
    );
  });
});

describe("the handler with an MMDB geo source", () => {
  it("looks up the truncated address, never the full one", async () => {
    const seen: string[] = [];
    const mmdb = createMmdbGeo(CITY);
    const geo: GeoLookup = (ip) => {
      seen.push(ip);
      return mmdb(ip);
    };
    const t = setup({ geo });
    const v4 = await t.visit("203.0.113.77");
    expect(v4).toMatchObject({
      ip: "203.0.113.0",
      city: "Lyon",
      country_iso: "FR",
      loc: "45.75,4.85",
      lookup: "lookup",
      // The /26 block is narrower than the /24 the address was cut to: the /24 stays.
      network: "203.0.113.0/24",
    });
    const v6 = await t.visit("2001:db8:1:ffff::1");
    expect(v6).toMatchObject({ ip: "2001:db8:1::", city: "Annecy", network: "2001:db8:1::/48" });
    expect(seen).toEqual(["203.0.113.0", "2001:db8:1::"]);
  });

  it("logs the database's network when it is wider than the truncated one", async () => {
    const t = setup({ geo: createMmdbGeo([CITY, ASN]) });
    expect(await t.visit("198.51.100.23")).toMatchObject({
      ip: "198.51.100.0",
      country_iso: "DE",
      network: "198.51.0.0/16",
    });
  });

  it("looks up the full address, and logs its block, only with anonymizeIp off", async () => {
    const t = setup({ geo: createMmdbGeo(CITY), anonymizeIp: false });
    expect(await t.visit("203.0.113.77")).toMatchObject({
      ip: "203.0.113.77",
      city: "Grenoble",
      network: "203.0.113.64/26",
    });
  });

  it("counts a lookup that fails in a damaged data section and logs the event without geo", async () => {
    // Full addresses, to reach the damaged record (truncation would land in Annecy's).
    const t = setup({ geo: createMmdbGeo(damaged()), anonymizeIp: false });
    expect(await t.visit("2001:db8:1:ffff::1")).toEqual({
      ip: "2001:db8:1:ffff::1",
      network: "2001:db8:1::/48",
      version: 6,
    });
    expect(t.dropped("geo_error")).toBe(1);
    expect((await t.visit("203.0.113.9"))?.city).toBe("Lyon");
  });

  it("logs the event without geo for an address the database does not know", async () => {
    const t = setup({ geo: createMmdbGeo(CITY) });
    const infos = await t.visit("192.0.2.44");
    expect(infos).toEqual({ ip: "192.0.2.0", network: "192.0.2.0/24", version: 4 });
    expect(t.dropped("geo_error")).toBe(0);
  });
});
