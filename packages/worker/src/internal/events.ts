// The invocations of `email` and `tail` handlers: their spans, and what the handler receives.
import { SpanKind } from "@opentelemetry/api";
import type { EmailMessageLike, TraceItemLike } from "../types";
import type { InvocationStart } from "./invocation";

/** What an email invocation starts with, the message its handler receives, and its status. */
export interface EmailInvocation<M> {
  start: InvocationStart;
  /** The message, with `setReject` also recorded. */
  message: M;
  /** `"rejected"` once the handler called `setReject`, else `"ok"`. */
  status(): string;
}

function domainOf(address: unknown): string {
  if (typeof address !== "string") return "unknown";
  const at = address.lastIndexOf("@");
  return at === -1 ? "unknown" : address.slice(at + 1).toLowerCase();
}

/**
 * An email invocation: a CONSUMER span named for the recipient's domain (addresses are
 * personal data and, with catch-all routing, unbounded: they are not recorded).
 */
export function emailInvocation<M extends EmailMessageLike>(message: M): EmailInvocation<M> {
  let rejected = false;
  let domain = "unknown";
  let size: number | undefined;
  try {
    domain = domainOf(message.to);
    if (typeof message.rawSize === "number") size = message.rawSize;
  } catch {}
  const start: InvocationStart = {
    name: `email ${domain}`,
    kind: SpanKind.CONSUMER,
    attributes: {
      "faas.trigger": "other",
      "cloudflare.email.to_domain": domain,
      ...(size === undefined ? {} : { "cloudflare.email.raw_size": size }),
    },
    resource: domain,
    method: "email",
  };
  const view = new Proxy(message, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === "setReject" && typeof value === "function") {
        return (reason: string) => {
          rejected = true;
          return Reflect.apply(value, target, [reason]);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { start, message: view, status: () => (rejected ? "rejected" : "ok") };
}

/** Whether an event is itself a tail invocation (its `event` lists consumed events). */
function isTailEvent(item: unknown): boolean {
  const event = (item as TraceItemLike | null)?.event;
  return event !== null && typeof event === "object" && "consumedEvents" in event;
}

/**
 * A tail invocation's span, or `undefined` when every event it received comes from a tail
 * invocation: a Worker tailing itself (or two tail Workers tailing each other) would
 * otherwise trace and log the consumption of its own telemetry, each round making the next.
 */
export function tailInvocation(events: readonly unknown[]): InvocationStart | undefined {
  let scripts: string[] = [];
  try {
    if (events.length > 0 && events.every(isTailEvent)) return undefined;
    const names = new Set<string>();
    for (const item of events) {
      const name = (item as TraceItemLike | null)?.scriptName;
      if (typeof name === "string" && names.size < 16) names.add(name);
    }
    scripts = [...names].sort();
  } catch {}
  return {
    name: "tail",
    kind: SpanKind.CONSUMER,
    attributes: {
      "faas.trigger": "other",
      "cloudflare.tail.event_count": events.length,
      ...(scripts.length === 0 ? {} : { "cloudflare.tail.script_names": scripts }),
    },
    resource: scripts.length === 1 ? (scripts[0] as string) : "tail",
    method: "tail",
  };
}
