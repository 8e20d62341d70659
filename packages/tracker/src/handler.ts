import { log as defaultLog, type Logger } from "@groundwork/core";
import { defaultRegistry, type Registry } from "@groundwork/metrics";
import { epochNow, runtimeGlobal } from "@groundwork/platform";
import Bowser from "bowser";
import { isbot } from "isbot";
import { TrackerError } from "./errors";
import type { TrackerEvent, TrackerPropValue } from "./event";
import { cleanGeo, type GeoInfo, type GeoLookup, geoFromCf } from "./geo";
import {
  eventName,
  eventProps,
  jsonDepth,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  MAX_USER_AGENT,
  pageUrl,
  WEBSITE_ID,
} from "./internal/input";
import { type ClientIp, clientIp } from "./internal/ip";
import { parseUrl } from "./internal/url";
import { type TrackerMetrics, trackerMetrics } from "./metrics";

/** The parts of a fetch `Request` the handler reads (`cf` in Workers). */
export interface TrackerRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly body?: { getReader(): BodyReader } | null;
  readonly cf?: unknown;
}

interface BodyReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(reason?: unknown): Promise<void>;
}

/** What the hosting server knows about the connection; `@groundwork/node`'s `serve()` passes it. */
export interface TrackerRequestContext {
  /** The peer address of the connection. */
  readonly remoteAddress?: string | undefined;
}

/** The parts of a fetch `Response` the handler returns. */
export interface TrackerResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
}

/**
 * The runtime's own `Response` type where the consumer's compilation has one
 * (DOM, Workers or Node typings), else {@link TrackerResponseLike}.
 */
export type TrackerResponse = typeof globalThis extends { Response: { prototype: infer R } }
  ? R
  : TrackerResponseLike;

/** A fetch handler: never throws, answers 200 (pixel), 204 (beacon) or 4xx. */
export type TrackerHandler = (
  request: TrackerRequest,
  ctx?: TrackerRequestContext,
) => Promise<TrackerResponse>;

/** Options of {@link createTrackerHandler}. */
export interface TrackerHandlerOptions {
  /** Where events go, one `info` record named `tracker` each. Default: core's `log`. */
  log?: Logger;
  /** Where the `tracker_events_total`/`tracker_dropped_total` counters live. Default `defaultRegistry`. */
  registry?: Registry;
  /** Allow-list of website ids; others are dropped. Default: any id matching `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`. */
  websites?: readonly string[];
  /** Truncate client addresses (IPv4 /24, IPv6 /48) before logging or lookup. Default `true`. */
  anonymizeIp?: boolean;
  /** Believe `x-forwarded-for`, `cf-connecting-ip` and `cf-ipcountry`. Default `false`. */
  trustProxy?: boolean;
  /** Looks up the (truncated) client address. Default: none. */
  geo?: GeoLookup;
  /** Finds the client address; overrides `ctx.remoteAddress` and proxy headers. */
  clientAddress?: (request: TrackerRequest, ctx?: TrackerRequestContext) => string | undefined;
}

interface ResponseConstructor {
  new (
    body: Uint8Array | null,
    init: { status: number; headers: Record<string, string> },
  ): TrackerResponse;
}

interface TextDecoderLike {
  decode(input: Uint8Array): string;
}

// The smallest transparent GIF: 1×1, one transparent colour.
const PIXEL = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);
const IMG_PREFIX = "/v1/tracker/img/";
const EVENT_PATH = "/v1/tracker/event";

/** Why a request produced no event; the `reason` label of `tracker_dropped_total`. */
type DropReason =
  | "not_found"
  | "method"
  | "privacy"
  | "bot"
  | "invalid_website"
  | "unknown_website"
  | "invalid_body"
  | "too_large"
  | "geo_error"
  | "error";

interface Resolved {
  log: Logger | undefined;
  metrics: TrackerMetrics;
  websites: ReadonlySet<string> | undefined;
  anonymizeIp: boolean;
  trustProxy: boolean;
  geo: GeoLookup | undefined;
  clientAddress: TrackerHandlerOptions["clientAddress"];
}

function invalid(message: string): TrackerError {
  return new TrackerError("ERR_INVALID_OPTION", `createTrackerHandler: ${message}`);
}

function resolve(options: TrackerHandlerOptions): Resolved {
  if (options === null || typeof options !== "object") throw invalid("options must be an object");
  const { log, registry, websites, anonymizeIp, trustProxy, geo, clientAddress } = options;
  if (log !== undefined && (log === null || typeof log.info !== "function")) {
    throw invalid("log must be a Logger");
  }
  if (websites !== undefined) {
    if (!Array.isArray(websites)) throw invalid("websites must be an array of ids");
    for (const id of websites) {
      if (typeof id !== "string" || !WEBSITE_ID.test(id)) {
        throw invalid(`website id ${JSON.stringify(id)} does not match ${WEBSITE_ID.source}`);
      }
    }
  }
  if (anonymizeIp !== undefined && typeof anonymizeIp !== "boolean") {
    throw invalid("anonymizeIp must be a boolean");
  }
  if (trustProxy !== undefined && typeof trustProxy !== "boolean") {
    throw invalid("trustProxy must be a boolean");
  }
  if (geo !== undefined && typeof geo !== "function") throw invalid("geo must be a function");
  if (clientAddress !== undefined && typeof clientAddress !== "function") {
    throw invalid("clientAddress must be a function");
  }
  let metrics: TrackerMetrics;
  try {
    metrics = trackerMetrics(registry ?? defaultRegistry);
  } catch (cause) {
    throw new TrackerError("ERR_INVALID_OPTION", "createTrackerHandler: unusable registry", {
      cause,
    });
  }
  return {
    log,
    metrics,
    websites: websites === undefined ? undefined : new Set(websites),
    anonymizeIp: anonymizeIp ?? true,
    trustProxy: trustProxy ?? false,
    geo,
    clientAddress,
  };
}

/**
 * Creates the tracker's fetch handler: `GET /v1/tracker/img/{website}` answers a
 * 1×1 transparent GIF (always 200, never cached) and `POST /v1/tracker/event`
 * takes the JSON a page sends with `sendBeacon` (204). Each accepted request
 * becomes one `info` record named `tracker` (see {@link TrackerEvent}) through
 * the logger. Requests with `DNT: 1` or `Sec-GPC: 1`, from bots, or with
 * invalid input produce no record and are counted in `tracker_dropped_total`.
 *
 * @param options - see {@link TrackerHandlerOptions}; `anonymizeIp` default `true`, `trustProxy` default `false`
 * @returns a fetch handler `(request, ctx?) => Promise<Response>`; it never throws
 * @throws {@link TrackerError} `ERR_INVALID_OPTION` for invalid options
 * @example
 * ```ts
 * const tracker = createTrackerHandler({ websites: ["blog"] });
 * export default { fetch: (request: Request) => tracker(request) };
 * ```
 */
export function createTrackerHandler(options: TrackerHandlerOptions = {}): TrackerHandler {
  const config = resolve(options);
  return async (request, ctx) => {
    let isImg = false;
    try {
      const url = parseUrl(request.url);
      if (url === undefined) {
        config.metrics.dropped({ reason: "not_found" }).inc();
        return empty(404);
      }
      isImg = url.pathname.startsWith(IMG_PREFIX);
      const method = request.method.toUpperCase();
      if (isImg) {
        if (method === "GET" || method === "HEAD") {
          const website = decodeSegment(url.pathname.slice(IMG_PREFIX.length));
          const page = url.searchParams.get("u") ?? request.headers.get("referer");
          count(
            config,
            record(config, request, ctx, {
              website,
              page,
              referrer: url.searchParams.get("r"),
              name: url.searchParams.get("e"),
              props: undefined,
            }),
          );
          return pixel();
        }
        config.metrics.dropped({ reason: "method" }).inc();
        return empty(405, { allow: "GET, HEAD" });
      }
      if (url.pathname !== EVENT_PATH) {
        config.metrics.dropped({ reason: "not_found" }).inc();
        return empty(404);
      }
      if (method !== "POST") {
        config.metrics.dropped({ reason: "method" }).inc();
        return empty(405, { allow: "POST" });
      }
      const text = await readBody(request);
      if (text === undefined) {
        config.metrics.dropped({ reason: "too_large" }).inc();
        return empty(413);
      }
      const body = parseBody(text);
      if (body === undefined) {
        config.metrics.dropped({ reason: "invalid_body" }).inc();
        return empty(400);
      }
      count(
        config,
        record(config, request, ctx, {
          website: body.w,
          page: body.u,
          referrer: body.r,
          name: body.e,
          props: body.d,
        }),
      );
      return empty(204);
    } catch {
      safeInc(config.metrics, "error");
      return isImg ? pixel() : empty(400);
    }
  };
}

interface Submission {
  website: unknown;
  page: unknown;
  referrer: unknown;
  name: unknown;
  props: unknown;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function count(config: Resolved, reason: DropReason | undefined): void {
  if (reason !== undefined) config.metrics.dropped({ reason }).inc();
}

function safeInc(metrics: TrackerMetrics, reason: DropReason): void {
  try {
    metrics.dropped({ reason }).inc();
  } catch {
    // counting must never turn an answer into an error
  }
}

/** Builds and logs the event for an accepted submission; else says why not. */
function record(
  config: Resolved,
  request: TrackerRequest,
  ctx: TrackerRequestContext | undefined,
  input: Submission,
): DropReason | undefined {
  const headers = request.headers;
  if (headers.get("dnt") === "1" || headers.get("sec-gpc") === "1") return "privacy";
  const ua = headers.get("user-agent") ?? "";
  if (ua === "" || isbot(ua)) return "bot";
  const website = input.website;
  if (typeof website !== "string" || !WEBSITE_ID.test(website)) return "invalid_website";
  if (config.websites !== undefined && !config.websites.has(website)) {
    return "unknown_website";
  }
  let name: string | undefined;
  if (input.name !== undefined && input.name !== null && input.name !== "") {
    name = eventName(input.name);
    if (name === undefined) return "invalid_body";
  }
  const props = eventProps(input.props);
  if (props === false) return "invalid_body";

  const event: TrackerEvent = {
    status: "ok",
    type: "tracker",
    time: new Date(epochNow()).toISOString(),
    website,
    kind: name === undefined ? "pageview" : "event",
    cid: randomId(),
    infos: {},
  };
  const page = pageUrl(input.page);
  if (page !== undefined) {
    event.host = page.host;
    event.path = page.path;
  }
  const referrer = pageUrl(input.referrer);
  if (referrer !== undefined) event.referrer = referrer.clean;
  describeAgent(event, ua.slice(0, MAX_USER_AGENT));
  locate(config, event, request, ctx);
  if (name !== undefined) event.event = name;
  if (props !== undefined) event.props = props as Record<string, TrackerPropValue>;
  (config.log ?? defaultLog).info("tracker", event as unknown as Record<string, unknown>);
  config.metrics.events({ website, kind: event.kind }).inc();
  return undefined;
}

function describeAgent(event: TrackerEvent, ua: string): void {
  event.user_agent = ua;
  const parsed = Bowser.parse(ua);
  if (parsed.platform.type) event.device = parsed.platform.type;
  if (parsed.browser.name) event.browser = parsed.browser.name;
  if (parsed.os.name) event.os = parsed.os.name;
  const details: { brand?: string; type?: string } = {};
  if (parsed.platform.vendor) details.brand = parsed.platform.vendor;
  if (parsed.platform.model) details.type = parsed.platform.model;
  if (details.brand !== undefined || details.type !== undefined) event.details = details;
}

function addressOf(
  config: Resolved,
  request: TrackerRequest,
  ctx: TrackerRequestContext | undefined,
): string | undefined {
  if (config.clientAddress !== undefined) return config.clientAddress(request, ctx);
  if (config.trustProxy) {
    const cf = request.headers.get("cf-connecting-ip");
    if (cf) return cf;
    const forwarded = request.headers.get("x-forwarded-for");
    if (forwarded) return forwarded.split(",")[0];
  }
  return ctx?.remoteAddress;
}

function locate(
  config: Resolved,
  event: TrackerEvent,
  request: TrackerRequest,
  ctx: TrackerRequestContext | undefined,
): void {
  let address: string | undefined;
  try {
    address = addressOf(config, request, ctx);
  } catch {
    config.metrics.dropped({ reason: "geo_error" }).inc();
  }
  const ip = typeof address === "string" ? clientIp(address, config.anonymizeIp) : undefined;
  if (ip !== undefined) {
    event.infos.ip = ip.ip;
    event.infos.network = ip.network;
    event.infos.version = ip.version;
  }
  let geo: GeoInfo | undefined = geoFromCf(request.cf);
  let lookup = "cf";
  if (geo === undefined && config.trustProxy) {
    const country = request.headers.get("cf-ipcountry");
    // Cloudflare sends XX for unknown and T1 for Tor.
    if (country !== null && /^[A-Z]{2}$/.test(country) && country !== "XX") {
      geo = { country_iso: country };
      lookup = "header";
    }
  }
  if (geo === undefined && config.geo !== undefined && ip !== undefined) {
    try {
      geo = cleanGeo(config.geo(ip.ip));
      lookup = "lookup";
    } catch {
      config.metrics.dropped({ reason: "geo_error" }).inc();
    }
  }
  if (geo !== undefined) {
    const { network, ...place } = geo;
    Object.assign(event.infos, place);
    if (network !== undefined && (!config.anonymizeIp || widerThanTruncation(network, ip))) {
      event.infos.network = network;
    }
    event.infos.lookup = lookup;
  }
}

/**
 * Whether a looked-up network holds the whole truncated network: a narrower one
 * describes only the block around the truncated address, not the visitor's.
 */
function widerThanTruncation(network: string, ip: ClientIp | undefined): boolean {
  if (ip === undefined) return false;
  const slash = network.lastIndexOf("/");
  const prefix = Number(network.slice(slash + 1));
  const isV6 = network.includes(":");
  return (
    slash > 0 &&
    network.slice(slash + 1) !== "" &&
    Number.isInteger(prefix) &&
    prefix >= 0 &&
    isV6 === (ip.version === 6) &&
    prefix <= (ip.version === 6 ? 48 : 24)
  );
}

interface CryptoLike {
  randomUUID?(): string;
  getRandomValues<T extends Uint8Array>(array: T): T;
}

function randomId(): string {
  const crypto = runtimeGlobal<CryptoLike>("crypto");
  if (crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto?.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Beacon {
  w?: unknown;
  u?: unknown;
  r?: unknown;
  e?: unknown;
  d?: unknown;
}

function parseBody(text: string): Beacon | undefined {
  if (text.length === 0 || jsonDepth(text) > MAX_JSON_DEPTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Beacon)
    : undefined;
}

/** The body as text, or `undefined` past {@link MAX_BODY_BYTES} (reading stops there). */
async function readBody(request: TrackerRequest): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > MAX_BODY_BYTES) return undefined;
  const body = request.body;
  if (body === undefined || body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const Decoder = runtimeGlobal<new () => TextDecoderLike>("TextDecoder");
  return Decoder === undefined ? undefined : new Decoder().decode(all);
}

function responseCtor(): ResponseConstructor {
  return runtimeGlobal<ResponseConstructor>("Response") as ResponseConstructor;
}

function pixel(): TrackerResponse {
  return new (responseCtor())(PIXEL, {
    status: 200,
    headers: {
      "content-type": "image/gif",
      "cache-control": "no-store, max-age=0",
      "content-length": String(PIXEL.byteLength),
    },
  });
}

function empty(status: number, headers: Record<string, string> = {}): TrackerResponse {
  return new (responseCtor())(null, {
    status,
    headers: { "cache-control": "no-store", ...headers },
  });
}
