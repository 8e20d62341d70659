import type { IncomingMessage } from "node:http";
import { NodeError } from "../errors";

const NO_BODY: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * The request body as a web stream. It fails with a {@link NodeError}
 * (`ERR_BODY_TOO_LARGE`, status 413) past `limit` bytes, and with
 * `ERR_CLIENT_ABORTED` when the client goes away mid-body. Backpressure
 * follows the reader: the socket is paused while the stream's queue is full.
 */
function bodyStream(
  req: IncomingMessage,
  limit: number,
  onOverflow: () => void,
): ReadableStream<Uint8Array> {
  let received = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (error: Error) => {
          if (settled) return;
          settled = true;
          req.removeListener("data", onData);
          controller.error(error);
        };
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received > limit) {
            req.pause();
            onOverflow();
            fail(
              new NodeError("ERR_BODY_TOO_LARGE", `request body larger than ${limit} bytes`, {
                status: 413,
              }),
            );
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        };
        req.on("data", onData);
        req.once("end", () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        req.once("error", (error) =>
          fail(
            new NodeError("ERR_CLIENT_ABORTED", "the request body could not be read", {
              cause: error,
            }),
          ),
        );
        // A client that goes away mid-body must not leave the handler waiting:
        // Node reports it as "error" or only as "close".
        req.once("close", () => {
          if (!req.complete) {
            fail(
              new NodeError(
                "ERR_CLIENT_ABORTED",
                "the client closed the connection before the body ended",
              ),
            );
          }
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
    },
    { highWaterMark: 1 },
  );
}

/** The parts of an incoming request {@link toRequest} needs besides the message. */
export interface ToRequestOptions {
  /** `http` or `https`. */
  scheme: string;
  /** Body size limit in bytes. */
  maxBodyBytes: number;
  /** Aborted when the client goes away before the response ended. */
  signal: AbortSignal;
  /** Called once if the body goes over the limit. */
  onOverflow: () => void;
}

/**
 * Converts an incoming `node:http` request into a fetch `Request` whose body
 * streams from the socket.
 *
 * @param req - the incoming message
 * @param options - scheme, body limit, abort signal, overflow callback
 * @returns the request (its URL uses the `Host` header, else `localhost`)
 */
export function toRequest(req: IncomingMessage, options: ToRequestOptions): Request {
  const method = req.method ?? "GET";
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // HTTP/2 pseudo-headers are not valid in Headers.
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    try {
      headers.append(name, raw[i + 1] as string);
    } catch {
      // A header Headers refuses is dropped rather than failing the request.
    }
  }
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal: options.signal };
  if (!NO_BODY.has(method)) {
    init.body = bodyStream(req, options.maxBodyBytes, options.onOverflow);
    init.duplex = "half";
  }
  return new Request(requestUrl(req, options.scheme), init);
}

/** The absolute URL of a request, from its target and `Host` header. */
export function requestUrl(req: IncomingMessage, scheme: string): string {
  const target = req.url ?? "/";
  const host = req.headers.host;
  if (host !== undefined && host !== "") {
    try {
      return new URL(target, `${scheme}://${host}`).href;
    } catch {
      // A malformed Host header falls back to localhost below.
    }
  }
  try {
    return new URL(target, `${scheme}://localhost`).href;
  } catch {
    return `${scheme}://localhost/`;
  }
}
