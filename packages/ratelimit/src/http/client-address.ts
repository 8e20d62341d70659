import type { RequestLike } from "./middleware";

/** Which forwarding header a trusted proxy chain writes. */
export type ProxyHeader = "X-Forwarded-For" | "Forwarded";

/** How to find the client's address; see {@link clientIp}. */
export interface ClientAddressOptions {
  /**
   * The address of the connection's peer (the TCP socket's remote address),
   * as the runtime or the server adapter reports it. Default: unknown.
   */
  peerAddress?: string | undefined;
  /**
   * Proxies in front of the service, each appending the address it received
   * the request from to `proxyHeader`. With n > 0 the chain is walked from
   * the right over n trusted hops (the peer counts as the first). Default 0:
   * forwarding headers are ignored, because any client can send them.
   */
  trustedProxies?: number;
  /** The header the trusted proxies write. Default `"X-Forwarded-For"`. */
  proxyHeader?: ProxyHeader;
  /**
   * Trust `CF-Connecting-IP`: true only where Cloudflare sets it for every
   * request (a Worker, or an origin reachable only through Cloudflare).
   * Default `false`.
   */
  trustCloudflare?: boolean;
}

/**
 * The client's address: `CF-Connecting-IP` when `trustCloudflare` is set;
 * else, with `trustedProxies` n > 0, the address n hops from the right of the
 * chain `proxyHeader` entries + peer (the leftmost when the chain is
 * shorter); else the peer address. Forwarding headers sent by clients are
 * never read unless trusted, so they cannot choose their own key.
 *
 * @param request - the incoming request.
 * @param options - peerAddress (unknown), trustedProxies (0), proxyHeader
 *   (`"X-Forwarded-For"`), trustCloudflare (`false`).
 * @returns the address, or `undefined` when none is known.
 * @example
 * ```ts
 * const request = new Request("https://x/", { headers: { "X-Forwarded-For": "203.0.113.9, 10.0.0.2" } });
 * clientIp(request, { peerAddress: "10.0.0.3", trustedProxies: 1 }); // "10.0.0.2"
 * clientIp(request, { peerAddress: "10.0.0.3" }); // "10.0.0.3"
 * ```
 */
export function clientIp(
  request: RequestLike,
  options: ClientAddressOptions = {},
): string | undefined {
  const peer = nonEmpty(options.peerAddress);
  if (options.trustCloudflare === true) {
    const cf = nonEmpty(request.headers.get("CF-Connecting-IP"));
    if (cf !== undefined) return cf;
  }
  const trusted = options.trustedProxies ?? 0;
  if (trusted <= 0) return peer;
  const value = request.headers.get(options.proxyHeader ?? "X-Forwarded-For");
  const hops = value === null ? [] : parseChain(value, options.proxyHeader ?? "X-Forwarded-For");
  // The chain as the nearest proxy sees it: what the proxies recorded, then
  // the peer itself (the nearest proxy). An unknown peer still counts as a hop.
  // A chain shorter than the trusted hops ends at its leftmost entry.
  const index = Math.max(0, hops.length - trusted);
  if (index === hops.length) return peer;
  // An entry a proxy recorded as unknown is no address: undefined, not the peer
  // (which is a proxy, and would put every such client in one bucket).
  return hops[index];
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function parseChain(value: string, header: ProxyHeader): (string | undefined)[] {
  const hops: (string | undefined)[] = [];
  for (const part of value.split(",")) {
    if (header === "Forwarded") {
      if (part.trim() !== "") hops.push(forwardedFor(part));
      continue;
    }
    const hop = nonEmpty(part);
    if (hop !== undefined) hops.push(hop);
  }
  return hops;
}

// One element of `Forwarded` (RFC 7239): `for=192.0.2.60;proto=http`,
// `for="[2001:db8::1]:4711"`. Ports and brackets are dropped so the key is
// the address alone; an element without `for`, or `for=unknown`, is a hop
// whose address is unknown.
function forwardedFor(element: string): string | undefined {
  for (const pair of element.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "for") continue;
    let v = pair
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (v.startsWith("[")) {
      const end = v.indexOf("]");
      v = end > 0 ? v.slice(1, end) : v;
    } else if (v.indexOf(":") === v.lastIndexOf(":")) {
      v = v.replace(/:\d+$/, "");
    }
    const address = nonEmpty(v);
    return address === undefined || address.toLowerCase() === "unknown" ? undefined : address;
  }
  return undefined;
}
