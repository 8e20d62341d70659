// Pieces of core on every request's path, each against the way it was done
// before, in one process (alternating order, 7 rounds):
// - a log record copied into a span event (what a sampled request's access
//   line costs on top of the line): the attributes made directly from the
//   fields, against the reference path that serialises the record to JSON
//   and parses it back;
// - the response's `traceparent`: ids checked without the API's regular
//   expressions, against `isSpanContextValid`.
//
//   node --import tsx bench/core-request-path.bench.ts
import { randomBytes } from "node:crypto";
import { isSpanContextValid, type SpanContext, trace } from "@opentelemetry/api";
import {
  mergedFields,
  plainAttributes,
  spanEventAttributes,
} from "../packages/core/src/logging/encode";
import { memorySink } from "../packages/core/src/logging/sinks";
import { createLogRoot, createLogState } from "../packages/core/src/logging/state";
import { formatTraceparent } from "../packages/core/src/propagation/w3c";
import { compare } from "./compare";

const span = trace.wrapSpanContext({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceFlags: 1,
});
const root = createLogRoot({ sink: memorySink(), serviceName: "bench", redactKeys: ["password"] });
// The fields `instrumentServer()` forks the request's log with, and its access line's own.
const state = createLogState(root, {
  "http.request.method": "GET",
  "url.path": "/orders/42",
  "http.route": "/orders/:id",
  "client.address": "127.0.0.1",
});
const access = { "http.response.status_code": 200, duration_ms: 1.2345678, bytes: 11 };
const nested = { user: { id: 7, tags: ["a", "b"] }, err: new Error("boom"), count: 3 };

await compare("Span-event attributes of a log record", "JSON round trip", [
  {
    name: "access log line, 7 primitive fields",
    ours: () => spanEventAttributes(state, "info", "request", access, span, 0),
    peer: () => plainAttributes(state, "info", "request", mergedFields(state, access), span, 0),
    batch: 100,
  },
  {
    name: "record with an object, an Error and a number",
    ours: () => spanEventAttributes(state, "info", "failed", nested, span, 0),
    peer: () => plainAttributes(state, "info", "failed", mergedFields(state, nested), span, 0),
    batch: 100,
  },
]);

const contexts: SpanContext[] = Array.from({ length: 1024 }, () => ({
  traceId: randomBytes(16).toString("hex"),
  spanId: randomBytes(8).toString("hex"),
  traceFlags: 0,
}));
let next = 0;
// formatTraceparent as it was: the API's check, then the same template.
function apiCheckedTraceparent(sc: SpanContext): string | undefined {
  if (!isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 3).toString(16)}`;
}

await compare("traceparent of a span context", "isSpanContextValid", [
  {
    name: "formatTraceparent, random ids",
    ours: () => formatTraceparent(contexts[next++ & 1023] as SpanContext),
    peer: () => apiCheckedTraceparent(contexts[next++ & 1023] as SpanContext),
    batch: 100,
  },
]);
