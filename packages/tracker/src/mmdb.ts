import { runtimeGlobal } from "@groundwork/platform";
import { Reader } from "mmdb-lib";
import { TrackerError } from "./errors";
import type { GeoInfo, GeoLookup } from "./geo";
import { cidr } from "./internal/ip";

/** Options of {@link createMmdbGeo}. */
export interface MmdbGeoOptions {
  /**
   * The language of place names (`city`, `region`, `country`), one of the
   * database's `languages`; names missing in it fall back to English. Default `"en"`.
   */
  language?: string;
}

/** The parts of Node's `Buffer` the reader needs (`mmdb-lib` reads from a Buffer). */
interface BufferStatic {
  isBuffer(value: unknown): boolean;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

type Fields = Readonly<Record<string, unknown>>;

/** What mmdb-lib's `Reader` offers, typed without Node's `Buffer` type. */
interface MmdbReader {
  metadata: {
    binaryFormatMajorVersion: number;
    ipVersion: number;
    nodeCount: number;
    searchTreeSize: number;
  };
  getWithPrefixLength(ip: string): [unknown, number];
}

const ReaderCtor = Reader as unknown as new (db: Uint8Array) => MmdbReader;

// The metadata follows the last occurrence of this marker, within the file's last 128 KiB.
const METADATA_MARKER = [
  0xab, 0xcd, 0xef, 0x4d, 0x61, 0x78, 0x4d, 0x69, 0x6e, 0x64, 0x2e, 0x63, 0x6f, 0x6d,
];
const METADATA_WINDOW = 128 * 1024;
// Sixteen zero bytes separate the search tree from the data section.
const DATA_SEPARATOR = 16;

/** Where the metadata marker starts, or -1. */
function findMetadata(bytes: Uint8Array): number {
  const stop = Math.max(0, bytes.byteLength - METADATA_WINDOW);
  for (let i = bytes.byteLength - METADATA_MARKER.length; i >= stop; i--) {
    let j = 0;
    while (j < METADATA_MARKER.length && bytes[i + j] === METADATA_MARKER[j]) j++;
    if (j === METADATA_MARKER.length) return i;
  }
  return -1;
}

function open(bytes: Uint8Array, index: number, BufferClass: BufferStatic): MmdbReader {
  const fail = (reason: string, cause?: unknown) =>
    new TrackerError(
      "ERR_INVALID_DATABASE",
      `createMmdbGeo: database ${index} is not a readable MMDB file: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  if (!(bytes instanceof Uint8Array)) throw fail("expected a Uint8Array or Buffer");
  if (bytes.byteLength === 0) throw fail("it is empty");
  const metadataStart = findMetadata(bytes);
  if (metadataStart < 0) throw fail("no MaxMind metadata marker");
  const buffer = BufferClass.isBuffer(bytes)
    ? bytes
    : BufferClass.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let reader: MmdbReader;
  try {
    reader = new ReaderCtor(buffer);
  } catch (cause) {
    throw fail(cause instanceof Error ? cause.message : String(cause), cause);
  }
  const { binaryFormatMajorVersion, ipVersion, nodeCount, searchTreeSize } = reader.metadata;
  if (binaryFormatMajorVersion !== 2) {
    throw fail(`binary format ${String(binaryFormatMajorVersion)} (expected 2)`);
  }
  if (ipVersion !== 4 && ipVersion !== 6) throw fail(`IP version ${String(ipVersion)}`);
  if (!Number.isInteger(nodeCount) || nodeCount <= 0) throw fail("no search tree");
  if (searchTreeSize + DATA_SEPARATOR > metadataStart) {
    throw fail(`its search tree needs ${searchTreeSize} bytes, the file is cut short`);
  }
  // A file cut short or damaged in its tree fails here rather than on a visitor's request.
  const probes = ipVersion === 6 ? ["0.0.0.0", "255.255.255.255", "::", "ffff::"] : ["0.0.0.0"];
  try {
    for (const probe of probes) reader.getWithPrefixLength(probe);
  } catch (cause) {
    throw fail(cause instanceof Error ? cause.message : String(cause), cause);
  }
  return reader;
}

function object(value: unknown): Fields | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Fields)
    : undefined;
}

function nameOf(place: unknown, language: string): unknown {
  const names = object(object(place)?.names);
  return names?.[language] ?? names?.en;
}

/** Maps a City, Country or ASN record (MaxMind's or DB-IP's shape) to the event's fields. */
function geoOf(record: Fields, language: string): GeoInfo {
  const location = object(record.location);
  const subdivision = Array.isArray(record.subdivisions) ? record.subdivisions[0] : undefined;
  const lat = location?.latitude;
  const lon = location?.longitude;
  return {
    city: nameOf(record.city, language),
    region: nameOf(subdivision, language),
    region_code: object(subdivision)?.iso_code,
    country: nameOf(record.country, language),
    country_iso: object(record.country)?.iso_code,
    timezone: location?.time_zone,
    loc: typeof lat === "number" && typeof lon === "number" ? `${lat},${lon}` : undefined,
    asn: record.autonomous_system_number,
    org: record.autonomous_system_organization,
  } as GeoInfo;
}

/**
 * Creates a geo lookup from MMDB files: MaxMind's GeoLite2/GeoIP2 City, Country
 * and ASN databases, or DB-IP's compatible ones. Pass it as the tracker
 * handler's `geo` option; it is called with the truncated address, so the
 * database never sees a full one. With several databases (a City and an ASN
 * file), each field comes from the first that knows it. The files are read
 * into memory by the caller, so this runs wherever `Buffer` exists: Node, and
 * Workers with `nodejs_compat`.
 *
 * @param databases - the bytes of one MMDB file or several (e.g. `readFileSync(path)`)
 * @param options - `language` of place names, default `"en"`
 * @returns a {@link GeoLookup} filling `city`, `region`, `region_code`, `country`,
 *   `country_iso`, `timezone`, `loc`, `asn`, `org` and `network` where the database knows them
 * @throws {@link TrackerError} `ERR_INVALID_DATABASE` for a file that is not a
 *   readable MMDB database, `ERR_INVALID_OPTION` for other invalid arguments
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { createTrackerHandler } from "@groundwork/tracker";
 * import { createMmdbGeo } from "@groundwork/tracker/mmdb";
 *
 * const geo = createMmdbGeo([
 *   readFileSync("/var/lib/geoip/GeoLite2-City.mmdb"),
 *   readFileSync("/var/lib/geoip/GeoLite2-ASN.mmdb"),
 * ]);
 * const tracker = createTrackerHandler({ geo });
 * ```
 */
export function createMmdbGeo(
  databases: Uint8Array | readonly Uint8Array[],
  options: MmdbGeoOptions = {},
): GeoLookup {
  const invalid = (message: string) =>
    new TrackerError("ERR_INVALID_OPTION", `createMmdbGeo: ${message}`);
  if (options === null || typeof options !== "object") throw invalid("options must be an object");
  const language = options.language ?? "en";
  if (typeof language !== "string" || language === "") {
    throw invalid("language must be a non-empty string");
  }
  const list = Array.isArray(databases) ? databases : [databases];
  if (list.length === 0) throw invalid("give at least one database");
  const BufferClass = runtimeGlobal<BufferStatic>("Buffer");
  if (BufferClass === undefined) {
    throw invalid("needs Buffer (Node, or Workers with nodejs_compat)");
  }
  const readers = list.map((bytes, i) => open(bytes as Uint8Array, i, BufferClass));
  return (ip) => {
    let result: Record<string, unknown> | undefined;
    const isV6 = ip.includes(":");
    for (const reader of readers) {
      if (isV6 && reader.metadata.ipVersion === 4) continue;
      const [record, prefix] = reader.getWithPrefixLength(ip);
      const found = object(record);
      if (found === undefined) continue;
      const geo: Record<string, unknown> = { ...geoOf(found, language), network: cidr(ip, prefix) };
      result ??= {};
      for (const [key, value] of Object.entries(geo)) {
        if (value !== undefined && result[key] === undefined) result[key] = value;
      }
    }
    return result as GeoInfo | undefined;
  };
}
