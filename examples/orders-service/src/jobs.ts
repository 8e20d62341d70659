import { log, withForkedTrace } from "@groundwork/core";
import type { Order } from "./orders";

/**
 * Sends the order confirmation in the background, in a trace of its own
 * forked from the request's: the request span gets a link to it and the
 * job's root span links back, so either trace leads to the other.
 *
 * @param order - the order just created
 * @returns a promise that settles when the confirmation is sent (never rejects)
 * @example
 * ```ts
 * ctx.waitUntil(sendConfirmation(order)); // inside a serve() handler
 * ```
 */
export function sendConfirmation(order: Order): Promise<void> {
  return withForkedTrace("send confirmation", async () => {
    // Stands in for an e-mail or a queue message.
    await new Promise((resolve) => setTimeout(resolve, 25));
    log.info("confirmation sent", { order_id: order.id });
  }).catch((error: unknown) => {
    log.error("confirmation failed", error instanceof Error ? error : { error: String(error) });
  });
}
