// The bridge between node:http and fetch-style handlers
// (`(request: Request, remoteAddress) => Response`). Groundwork has no Node
// adapter package yet, so the example carries this small one itself; it
// knows nothing about telemetry.
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseSocketAddr } from "@groundwork/settings";

/** A fetch-style handler; `remoteAddress` is the peer's IP address, if known. */
export type FetchHandler = (
  request: Request,
  remoteAddress: string | undefined,
) => Response | Promise<Response>;

/** Thrown (through the request body stream) when a body exceeds `maxBodyBytes`. */
export class BodyTooLargeError extends Error {
  /** Stable error code. */
  readonly code = "ERR_BODY_TOO_LARGE";
  /**
   * @param limit - the limit that was exceeded, in bytes
   */
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** Thrown by {@link listen} when the address cannot be used. */
export class ListenError extends Error {
  /** Stable error code. */
  readonly code = "ERR_LISTEN";
  /**
   * @param message - what went wrong
   * @param options - the underlying error as `cause`
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ListenError";
  }
}

/** Options of {@link createFetchServer}. */
export interface FetchServerOptions {
  /** Largest request body streamed to the handler, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called when the handler throws or writing the response fails. Default: ignored. */
  onError?: (error: unknown) => void;
}

/** A `node:http` server serving a fetch-style handler. */
export interface FetchServer {
  /** The underlying server. */
  readonly server: Server;
  /** `http://host:port` once listening. */
  readonly url: string;
  /**
   * Stops accepting connections, lets requests in flight finish for up to
   * `graceMs` (default 5 000), then drops what is left. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

const NO_BODY = new Set(["GET", "HEAD"]);

/**
 * The request body as a web stream that stops with a {@link BodyTooLargeError}
 * past `limit` bytes. Backpressure follows the consumer: the socket is paused
 * while the stream's queue is full.
 */
function bodyStream(req: IncomingMessage, limit: number, onOverflow: () => void) {
  let received = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        req.removeAllListeners("data");
        controller.error(error);
      };
      req.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) {
          req.pause();
          onOverflow();
          fail(new BodyTooLargeError(limit));
          return;
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      });
      req.once("end", () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      req.once("error", fail);
      // A client that goes away mid-body must not leave the handler waiting
      // forever: Node usually reports it as "error", "close" catches the rest.
      req.once("close", () => {
        if (!req.complete) fail(new Error("client closed the connection before the body ended"));
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      settled = true;
      req.removeAllListeners("data");
      req.resume();
    },
  });
}

/**
 * Converts an incoming `node:http` request into a fetch `Request`.
 *
 * @param req - the incoming message
 * @param maxBodyBytes - body size limit for the returned stream
 * @param onOverflow - called once if the body goes over the limit
 * @returns the fetch request (its URL uses the `Host` header, or `localhost`)
 */
function toRequest(req: IncomingMessage, maxBodyBytes: number, onOverflow: () => void): Request {
  const method = req.method ?? "GET";
  const host = req.headers.host ?? "localhost";
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    // HTTP/2 pseudo-headers and malformed names are not valid in Headers.
    if (name === undefined || value === undefined || name.startsWith(":")) continue;
    try {
      headers.append(name, value);
    } catch {
      // A header Headers refuses is dropped rather than failing the request.
    }
  }
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (!NO_BODY.has(method)) {
    init.body = bodyStream(req, maxBodyBytes, onOverflow);
    init.duplex = "half";
  }
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `http://${host}`);
  } catch {
    url = new URL(req.url ?? "/", "http://localhost");
  }
  return new Request(url, init);
}

async function writeResponse(
  res: ServerResponse,
  response: Response,
  isHead: boolean,
  closeAfter: boolean,
): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (closeAfter) headers.connection = "close";
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (isHead || response.body === null) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res);
}

/**
 * Creates a `node:http` server that hands every request to a fetch-style
 * handler and writes the `Response` back (streamed, `Set-Cookie` kept
 * apart). A handler that throws gets a bare 500; an oversized body reaches
 * the handler as a stream failing with {@link BodyTooLargeError}, and the
 * connection is closed after the response.
 *
 * @param handler - the fetch-style handler
 * @param options - `maxBodyBytes` (default 1 MiB), `onError` (default none)
 * @returns the server, not yet listening (see {@link listen})
 * @example
 * ```ts
 * const server = createFetchServer(() => new Response("hello\n"));
 * const { url } = await listen(server, "127.0.0.1:0");
 * ```
 */
export function createFetchServer(handler: FetchHandler, options: FetchServerOptions = {}): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // Reporting must not break serving.
    }
  };
  return createServer((req, res) => {
    let overflowed = false;
    const request = toRequest(req, maxBodyBytes, () => {
      overflowed = true;
    });
    const serve = async () => {
      let response: Response;
      try {
        response = await handler(request, req.socket.remoteAddress);
      } catch (error) {
        report(error);
        response = new Response("internal server error\n", { status: 500 });
      }
      await writeResponse(res, response, req.method === "HEAD", overflowed);
      // An oversized body is not drained: the connection is dropped instead.
      if (overflowed) req.socket.destroySoon();
      else if (!req.complete) req.resume();
    };
    serve().catch((error: unknown) => {
      report(error);
      if (!res.headersSent) res.writeHead(500);
      res.destroy();
    });
  });
}

/**
 * Starts a server listening on a `host:port` address (port 0 picks a free
 * port) and resolves with its URL.
 *
 * @param server - a `node:http` server
 * @param addr - e.g. `"127.0.0.1:8080"` or `"[::1]:0"`
 * @returns the listening server's `url` and a graceful `close(graceMs = 5000)`
 * @throws ListenError for a malformed address or when listening fails
 * @example
 * ```ts
 * const api = await listen(createFetchServer(handler), "127.0.0.1:0");
 * console.log(api.url);
 * await api.close();
 * ```
 */
export async function listen(server: Server, addr: string): Promise<FetchServer> {
  const parsed = parseSocketAddr(addr);
  if (parsed === undefined) throw new ListenError(`not a host:port address: ${addr}`);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new ListenError(`cannot listen on ${addr}: ${error.message}`, { cause: error }));
    server.once("error", onError);
    server.listen(parsed.port, parsed.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${port}`,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
