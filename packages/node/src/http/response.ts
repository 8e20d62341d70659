import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/** How {@link writeResponse} writes. */
export interface WriteResponseOptions {
  /** A HEAD request: headers only, the body is cancelled. */
  head: boolean;
  /** Headers set on top of the response's own (e.g. `traceparent`). */
  extraHeaders: Readonly<Record<string, string>> | undefined;
  /** Ask the client to close the connection after this response. */
  closeConnection: boolean;
}

/** The response headers as `node:http` takes them; `Set-Cookie` values kept apart. */
function nodeHeaders(response: Response, options: WriteResponseOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  let cookies = false;
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") cookies = true;
    else headers[name] = value;
  });
  if (cookies) headers["set-cookie"] = response.headers.getSetCookie();
  if (options.extraHeaders !== undefined) Object.assign(headers, options.extraHeaders);
  if (options.closeConnection) headers.connection = "close";
  return headers;
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const SOON: unique symbol = Symbol("soon");

// Bodies up to this size are sent in one write with the head.
const SMALL_BODY = 16 * 1024;

/** Resolves after the microtasks queued now, and the I/O ready now, have run. */
function soon(): Promise<typeof SOON> {
  return new Promise((resolve) => setImmediate(resolve, SOON));
}

/**
 * Resolves two turns of the microtask queue from now: long enough for the
 * stream of a body made from a string or bytes to report its end, without
 * an immediate per response.
 */
function shortly(): Promise<typeof SOON> {
  return Promise.resolve()
    .then(noop)
    .then(() => SOON);
}

function noop(): void {}

// Node's fetch (undici) keeps what a body was made from next to its stream:
// a string or bytes, with its length. Reading that instead of the stream
// saves two stream reads, a reader and a turn of the event loop per request.
// It is undici's internal state, so it is found by probing once and used only
// when it has the expected shape; anywhere else the stream path runs.
const BODY_STATE: symbol | undefined = (() => {
  try {
    const probe = new Response("x");
    for (const key of Object.getOwnPropertySymbols(probe)) {
      const body = (
        probe as unknown as Record<symbol, { body?: { source?: unknown } } | undefined>
      )[key]?.body;
      if (body !== undefined && body !== null && body.source === "x") return key;
    }
  } catch {
    // No usable state: every body goes through its stream.
  }
  return undefined;
})();

/**
 * Whether this runtime's `Response` lets {@link writeResponse} send a body
 * made from a string or bytes without reading its stream (Node 20 and 22;
 * Node 24's undici keeps that state in private fields).
 */
export const READS_BODY_SOURCE: boolean = BODY_STATE !== undefined;

/**
 * What the body of `response` was made from, when that was a string or bytes
 * and the body has not been read: the bytes to send without reading the
 * stream. `undefined` for any other body.
 */
function knownBody(
  response: Response,
  body: ReadableStream<Uint8Array>,
): string | Uint8Array | undefined {
  if (BODY_STATE === undefined || response.bodyUsed || body.locked) return undefined;
  const state = (
    response as unknown as Record<symbol, { body?: { source?: unknown } | null } | undefined>
  )[BODY_STATE];
  const source = state?.body?.source;
  return typeof source === "string" || source instanceof Uint8Array ? source : undefined;
}

/** Ends `res` with `bytes`; small ones in one write with the head. */
function endWith(res: ServerResponse, bytes: Uint8Array): void {
  if (bytes.byteLength <= SMALL_BODY) {
    // As a latin1 string (byte for byte the same), Node sends the head and
    // the body in one write instead of a two-buffer writev.
    res.end(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"),
      "latin1",
    );
  } else {
    res.end(bytes);
  }
}

function hasLength(headers: OutgoingHttpHeaders): boolean {
  return headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
}

/**
 * Writes a fetch `Response` to a `node:http` response: status, headers, then
 * the body. A body that is complete in its first chunk (one made from a
 * string or bytes) is sent with a `Content-Length`, in one write with the
 * headers. Any other body is streamed chunk by chunk, waiting for `drain`
 * whenever the socket buffer is full; its first chunk is not held back for
 * more than the current turn of the event loop. When the client goes away
 * the body stream is cancelled.
 *
 * @param res - the node response
 * @param response - the fetch response
 * @param options - see {@link WriteResponseOptions}
 * @param sent - counts the body bytes written, as they are written
 * @returns `undefined` when the response was written at once (no body, a
 *   HEAD request, a body made from a string or bytes), else a promise that
 *   settles when the streamed body has been written
 * @throws whatever writing the head throws; the promise rejects with
 *   whatever the response body stream fails with, the node response
 *   destroyed first if its head was sent already
 */
export function writeResponse(
  res: ServerResponse,
  response: Response,
  options: WriteResponseOptions,
  sent: { bytes: number },
): Promise<void> | undefined {
  const status = response.status;
  const statusText = response.statusText || undefined;
  const headers = nodeHeaders(response, options);
  const body = response.body;
  if (body === null || options.head) {
    res.writeHead(status, statusText, headers);
    res.end();
    if (body !== null) return body.cancel().catch(() => {});
    return undefined;
  }
  const known = knownBody(response, body);
  if (known !== undefined) {
    const length = typeof known === "string" ? Buffer.byteLength(known) : known.byteLength;
    if (!hasLength(headers)) headers["content-length"] = length;
    res.writeHead(status, statusText, headers);
    sent.bytes += length;
    if (typeof known === "string") res.end(known);
    else endWith(res, known);
    return undefined;
  }
  return streamBody(res, body, status, statusText, headers, sent);
}

/** Writes the head with the first chunk of `body`, then the rest with backpressure. */
async function streamBody(
  res: ServerResponse,
  body: ReadableStream<Uint8Array>,
  status: number,
  statusText: string | undefined,
  headers: OutgoingHttpHeaders,
  sent: { bytes: number },
): Promise<void> {
  const reader = body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  };
  res.once("close", onClose);
  try {
    const first = await reader.read();
    if (first.done) {
      if (!hasLength(headers)) headers["content-length"] = 0;
      res.writeHead(status, statusText, headers);
      res.end();
      return;
    }
    const pending = reader.read();
    // A body in memory has ended by now; any other gets until the end of
    // this turn of the event loop to show whether it has a second chunk.
    let next = await Promise.race([pending, shortly()]);
    if (next === SOON) next = await Promise.race([pending, soon()]);
    if (next !== SOON && next.done) {
      if (!hasLength(headers)) headers["content-length"] = first.value.byteLength;
      res.writeHead(status, statusText, headers);
      sent.bytes += first.value.byteLength;
      endWith(res, first.value);
      return;
    }
    // The head and the first chunk leave together.
    res.cork();
    process.nextTick(uncork, res);
    res.writeHead(status, statusText, headers);
    let value: Uint8Array = first.value;
    let isFirst = true;
    for (;;) {
      if (res.destroyed) {
        await reader.cancel().catch(() => {});
        return;
      }
      sent.bytes += value.byteLength;
      if (!res.write(value)) await waitForDrain(res);
      const read = isFirst ? (next === SOON ? await pending : next) : await reader.read();
      isFirst = false;
      if (read.done) break;
      value = read.value;
    }
    res.end();
  } catch (error) {
    // Once the head is out the answer cannot change: the connection is
    // dropped. Before that, the caller can still answer 500.
    if (res.headersSent) res.destroy();
    throw error;
  } finally {
    res.off("close", onClose);
    reader.releaseLock();
  }
}
