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
        // Node reports it as "error" or only as "close" — or, for a request
        // made after that, not at all.
        const onClose = () => {
          if (!req.complete) {
            fail(
              new NodeError(
                "ERR_CLIENT_ABORTED",
                "the client closed the connection before the body ended",
              ),
            );
          }
        };
        if (req.destroyed) onClose();
        else req.once("close", onClose);
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

/**
 * The abort side of a request's `signal`, whose `AbortController` is only
 * made when the handler reads `request.signal`: handing a signal to the
 * `Request` constructor makes it follow that signal, which costs more than
 * the rest of the request conversion together.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  /** Whether {@link LazyAbort.abort} was called. */
  aborted = false;

  /** The signal, made on first use (already aborted if the request was). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted && !this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  /** Aborts the signal, now or when it is made. Idempotent. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** The parts of an incoming request {@link toRequest} needs besides the message. */
export interface ToRequestOptions {
  /** `http` or `https`. */
  scheme: string;
  /** Body size limit in bytes. */
  maxBodyBytes: number;
  /** Aborted when the client goes away before the response ended; becomes `request.signal`. */
  abort: LazyAbort;
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
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (!NO_BODY.has(method)) {
    init.body = bodyStream(req, options.maxBodyBytes, options.onOverflow);
    init.duplex = "half";
  }
  const request = new Request(requestUrl(req, options.scheme), init);
  const abort = options.abort;
  // An own getter shadows Request.prototype's: every other member stays the
  // real Request's, so brand checks and `instanceof` keep working.
  Object.defineProperty(request, "signal", {
    configurable: true,
    enumerable: true,
    get: () => abort.signal,
  });
  return request;
}

// Characters that make a Host header unusable as is in a URL.
const ODD_HOST = /[\s/?#@\\]/;

/** The absolute URL of a request, from its target and `Host` header. */
export function requestUrl(req: IncomingMessage, scheme: string): string {
  const target = req.url ?? "/";
  const host = req.headers.host;
  // The common case needs no URL parse here: Request parses (and checks) it.
  if (
    target.charCodeAt(0) === 47 /* "/" */ &&
    host !== undefined &&
    host !== "" &&
    !ODD_HOST.test(host)
  ) {
    return `${scheme}://${host}${target}`;
  }
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
