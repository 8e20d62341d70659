import { z } from "zod";
import { kindMeta } from "./kinds";

/** A socket address split into its parts. */
export interface SocketAddr {
  /** Host name or IP address, without brackets for IPv6. */
  readonly host: string;
  /** Port, 0 meaning "any free port". */
  readonly port: number;
}

const IPV6 = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]:(\d{1,5})$/;
const HOST = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/**
 * Splits `"host:port"` or `"[v6]:port"` into host and port.
 *
 * @param text - the address
 * @returns the parts, or `undefined` when the text is not a valid address
 * @example
 * ```ts
 * parseSocketAddr("127.0.0.1:8080"); // { host: "127.0.0.1", port: 8080 }
 * ```
 */
export function parseSocketAddr(text: string): SocketAddr | undefined {
  const match = IPV6.exec(text) ?? HOST.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65_535) return undefined;
  return { host: match[1]!, port };
}

/**
 * A socket address setting such as `"127.0.0.1:8080"` or `"[::1]:0"`; the value
 * stays a string (split it with {@link parseSocketAddr}).
 *
 * @returns a zod string schema
 * @example
 * ```ts
 * const schema = z.object({ addr: socketAddr().default("127.0.0.1:8080").describe("Address to listen on.") });
 * ```
 */
export function socketAddr() {
  return z
    .string()
    .refine((value) => parseSocketAddr(value) !== undefined, {
      message: "expected host:port with a port from 0 to 65535",
    })
    .meta(kindMeta("socket-addr"));
}
