// Trace context across Cloudflare Queues. A queue message has no headers or metadata: only a
// body and its content type. So the producer adds the `traceparent` of its send span to bodies
// that are plain objects (content type `json` or `v8`, the default) under one reserved key, and
// an instrumented consumer takes it out again before the handler sees the body. Strings, bytes,
// arrays and class instances are sent untouched, without trace context.

import { parseTraceparent } from "@groundwork/core/propagation";
import { type Link, SpanKind } from "@opentelemetry/api";
import type { MessageBatchLike } from "../types";
import type { InvocationStart } from "./invocation";

/** The body key carrying the producer's `traceparent`. */
export const TRACEPARENT_FIELD = "__traceparent";

/** Links recorded on one process span at most (a Cloudflare batch holds up to 100 messages). */
const MAX_LINKS = 128;

type Body = Record<string, unknown>;

function isPlainObject(value: unknown): value is Body {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function carriesContext(contentType: unknown): boolean {
  return contentType === undefined || contentType === "json" || contentType === "v8";
}

/** `body` with `traceparent` added, when it is a plain object of a structured content type. */
function stamped(body: unknown, contentType: unknown, traceparent: string): unknown {
  if (!carriesContext(contentType) || !isPlainObject(body) || TRACEPARENT_FIELD in body) {
    return body;
  }
  return { ...body, [TRACEPARENT_FIELD]: traceparent };
}

/**
 * The arguments of a queue producer's `send(body, options)` or `sendBatch(messages, options)`
 * with `traceparent` added to the bodies that can carry it. The caller's objects are not
 * changed. Anything unexpected comes back as it was.
 */
export function stampSendArgs(method: string, args: unknown[], traceparent: string): unknown[] {
  try {
    if (method === "send") {
      const options = args[1] as { contentType?: unknown } | undefined;
      return [stamped(args[0], options?.contentType, traceparent), ...args.slice(1)];
    }
    if (method === "sendBatch") {
      const messages = args[0];
      if (messages === null || typeof messages !== "object" || !(Symbol.iterator in messages)) {
        return args;
      }
      const out: unknown[] = [];
      for (const message of messages as Iterable<unknown>) {
        if (message === null || typeof message !== "object") {
          out.push(message);
          continue;
        }
        const m = message as { body?: unknown; contentType?: unknown };
        const body = stamped(m.body, m.contentType, traceparent);
        out.push(body === m.body ? message : { ...m, body });
      }
      return [out, ...args.slice(1)];
    }
  } catch {
    // Propagation never fails a send.
  }
  return args;
}

/** What a queue invocation starts with: its span, and the batch its handler receives. */
export interface QueueInvocation<B> {
  start: InvocationStart;
  /** The batch with `traceparent` taken out of the bodies; the batch itself when none had it. */
  batch: B;
}

interface MessageLike {
  readonly id?: unknown;
  readonly body?: unknown;
}

function messageView(message: object, body: Body): object {
  return new Proxy(message, {
    get(target, property) {
      if (property === "body") return body;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * The process span of a batch, following the messaging conventions for batch receive: a
 * link to each message's producer context, and that context as parent when the batch holds
 * one message.
 */
export function queueInvocation<B extends MessageBatchLike>(batch: B): QueueInvocation<B> {
  const start: InvocationStart = {
    name: `${batch.queue} process`,
    kind: SpanKind.CONSUMER,
    attributes: {
      "faas.trigger": "pubsub",
      "messaging.system": "cloudflare_queues",
      "messaging.operation.type": "process",
      "messaging.destination.name": batch.queue,
      "messaging.batch.message_count": batch.messages.length,
    },
    resource: batch.queue,
    method: "queue",
  };
  const links: Link[] = [];
  const views: unknown[] = [];
  let changed = false;
  let single: string | undefined;
  try {
    for (const message of batch.messages) {
      const body = (message as MessageLike | null)?.body;
      const traceparent = isPlainObject(body) ? body[TRACEPARENT_FIELD] : undefined;
      const context = parseTraceparent(traceparent);
      if (context === undefined) {
        views.push(message);
        continue;
      }
      context.isRemote = true;
      if (batch.messages.length === 1) single = traceparent as string;
      if (links.length < MAX_LINKS) {
        const id = (message as MessageLike).id;
        links.push({
          context,
          attributes: typeof id === "string" ? { "messaging.message.id": id } : {},
        });
      }
      const { [TRACEPARENT_FIELD]: _, ...rest } = body as Body;
      views.push(messageView(message as object, rest));
      changed = true;
    }
  } catch {
    return { start, batch };
  }
  if (links.length > 0) start.links = links;
  if (single !== undefined) start.headers = new Headers({ traceparent: single });
  if (!changed) return { start, batch };
  const view = new Proxy(batch, {
    get(target, property) {
      if (property === "messages") return views;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { start, batch: view };
}
