import { runtimeGlobal } from "@groundwork/platform";
import type { Invocation } from "./invocation";

type FixedLengthStreamConstructor = new (length: number) => TransformStream<Uint8Array, Uint8Array>;
type IdentityStreamConstructor = new () => TransformStream<Uint8Array, Uint8Array>;

/**
 * The response to hand to the runtime: the handler's, with `traceparent` set, and a body
 * that ends the invocation span when it is fully sent or cancelled (so a streamed body's
 * time and the spans made while it streams belong to the invocation).
 */
export function finishResponse(invocation: Invocation, response: Response): Response {
  const status = String(response.status);
  const outcome = response.status >= 500 ? "error" : "ok";
  invocation.span.setAttribute("http.response.status_code", response.status);
  // A WebSocket upgrade has no body to follow and its headers are already sent by then.
  if (response.status === 101 || (response as { webSocket?: unknown }).webSocket != null) {
    invocation.end(status, outcome);
    return response;
  }
  const body = response.body;
  if (body === null) {
    invocation.end(status, outcome);
    return withTraceparent(new Response(null, response), invocation);
  }
  invocation.responded(status, outcome);
  const { readable, writable } = passThrough(response);
  body.pipeTo(writable).then(
    () => invocation.end(status, outcome),
    () => invocation.end(status, outcome === "ok" ? "canceled" : outcome),
  );
  return withTraceparent(new Response(readable, response), invocation);
}

function withTraceparent(response: Response, invocation: Invocation): Response {
  const traceparent = invocation.traceparent();
  if (traceparent !== undefined) {
    try {
      response.headers.set("traceparent", traceparent);
    } catch {}
  }
  return response;
}

/**
 * An identity stream; a `FixedLengthStream` when the length is known and the body is not
 * re-encoded, so the runtime keeps sending `content-length` instead of chunks. Both it and
 * workerd's `IdentityTransformStream` are the runtime's own streams: the body is piped
 * without JavaScript per chunk, which the standard `TransformStream` needs.
 */
function passThrough(response: Response): TransformStream<Uint8Array, Uint8Array> {
  const Fixed = runtimeGlobal<FixedLengthStreamConstructor>("FixedLengthStream");
  const length = response.headers.get("content-length");
  if (
    Fixed !== undefined &&
    length !== null &&
    /^\d+$/.test(length) &&
    response.headers.get("content-encoding") === null
  ) {
    return new Fixed(Number(length));
  }
  const Identity = runtimeGlobal<IdentityStreamConstructor>("IdentityTransformStream");
  return Identity === undefined ? new TransformStream<Uint8Array, Uint8Array>() : new Identity();
}
