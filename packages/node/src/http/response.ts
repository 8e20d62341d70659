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

/**
 * Writes a fetch `Response` to a `node:http` response: status, headers, then
 * the body streamed chunk by chunk, waiting for `drain` whenever the socket
 * buffer is full. When the client goes away the body stream is cancelled.
 *
 * @param res - the node response
 * @param response - the fetch response
 * @param options - see {@link WriteResponseOptions}
 * @param sent - counts the body bytes written, as they are written
 * @throws whatever the response body stream fails with (the node response is
 *   destroyed first, since its status line is already sent)
 */
export async function writeResponse(
  res: ServerResponse,
  response: Response,
  options: WriteResponseOptions,
  sent: { bytes: number },
): Promise<void> {
  // The status line, headers and whatever of the body is ready within this
  // tick (all of it, for a body made from a string) leave in one write; a
  // streamed body's later chunks are not held back.
  res.cork();
  process.nextTick(uncork, res);
  res.writeHead(response.status, response.statusText || undefined, nodeHeaders(response, options));
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  if (options.head) {
    res.end();
    await body.cancel().catch(() => {});
    return;
  }
  const reader = body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  };
  res.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel().catch(() => {});
        return;
      }
      sent.bytes += value.byteLength;
      if (!res.write(value)) await waitForDrain(res);
    }
    res.end();
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    res.off("close", onClose);
    reader.releaseLock();
  }
}
