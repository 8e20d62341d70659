import { log } from "@groundwork/core";
import type { FetchHandler, ServeContext } from "@groundwork/node";
import { createLimiter, type RateInput } from "@groundwork/ratelimit";
import { rateLimit } from "@groundwork/ratelimit/http";
import { z } from "zod";
import { InventoryUnavailableError, type StockCheck } from "./inventory";
import { sendConfirmation } from "./jobs";

/** An order as stored and returned. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  created_at: string;
}

/** Options of {@link ordersHandler}. */
export interface OrdersOptions {
  /** Rate limit of `POST /orders` per `x-client-id`. */
  rateLimit: { rate: RateInput; burst: number };
  /** Stock check before an order is accepted. Default none. */
  stockCheck?: StockCheck;
  /** Orders kept in memory; the oldest are forgotten beyond it. Default 10 000. */
  maxOrders?: number;
}

/** The route patterns of the orders API, for `serve({ routes })`. */
export const ORDER_ROUTES = ["/orders", "/orders/:id"] as const;

const NewOrder = z.strictObject({
  item: z.string().trim().min(1).max(200),
  quantity: z.number().int().min(1).max(1000),
});

const problem = (
  status: number,
  error: string,
  detail?: unknown,
  headers?: Record<string, string>,
) =>
  Response.json(detail === undefined ? { error } : { error, detail }, {
    status,
    ...(headers === undefined ? {} : { headers }),
  });

/**
 * The orders API as a fetch handler for `serve()`: `POST /orders` (rate
 * limited per client, checked against the inventory, confirmed in the
 * background) and `GET /orders/:id`. It holds no instrumentation: `serve()`
 * gives each request its span, access log line and metrics, and `log` here
 * writes to the request's log.
 *
 * @param options - rate limit, stock check, `maxOrders` (default 10 000)
 * @returns the handler
 * @example
 * ```ts
 * const server = await serve(ordersHandler({ rateLimit: { rate: "5/s", burst: 10 } }), {
 *   routes: [...ORDER_ROUTES],
 * });
 * ```
 */
export function ordersHandler(options: OrdersOptions): FetchHandler {
  const maxOrders = options.maxOrders ?? 10_000;
  const orders = new Map<string, Order>();

  async function createOrder(request: Request, ctx: ServeContext): Promise<Response> {
    if (!(request.headers.get("content-type") ?? "").toLowerCase().includes("application/json")) {
      return problem(415, "expected content-type application/json");
    }
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch (error) {
      if ((error as { status?: unknown }).status === 413) return problem(413, "body too large");
      log.warn("malformed JSON body", { error: String(error) });
      return problem(400, "malformed JSON body");
    }
    const parsed = NewOrder.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      log.warn("invalid order", { issues });
      return problem(400, "invalid order", issues);
    }
    log.addFields({ item: parsed.data.item });
    if (options.stockCheck !== undefined) {
      try {
        if (!(await options.stockCheck(parsed.data.item, request.signal))) {
          log.info("out of stock");
          return problem(409, "out of stock");
        }
      } catch (error) {
        if (!(error instanceof InventoryUnavailableError)) throw error;
        log.warn("inventory unavailable", error);
        return problem(503, "inventory unavailable", undefined, { "retry-after": "1" });
      }
    }
    const order: Order = {
      id: crypto.randomUUID(),
      ...parsed.data,
      created_at: new Date().toISOString(),
    };
    if (orders.size >= maxOrders) {
      const oldest = orders.keys().next().value;
      if (oldest !== undefined) orders.delete(oldest);
    }
    orders.set(order.id, order);
    log.info("order created", { order_id: order.id, quantity: order.quantity });
    ctx.waitUntil(sendConfirmation(order));
    return Response.json(order, { status: 201, headers: { location: `/orders/${order.id}` } });
  }

  const limitedCreateOrder = rateLimit(
    {
      limiter: createLimiter({ rate: options.rateLimit.rate, burst: options.rateLimit.burst }),
      key: { header: "x-client-id" },
      policyName: "orders",
      onLimited: (result, request) => {
        // One call site, limited itself: a client hammering the API must not
        // turn into a flood of warnings.
        log.warn(
          "order creation rate limited",
          { client_id: request.headers.get("x-client-id") ?? "unknown" },
          { rateLimit: "1/s" },
        );
        return problem(429, "too many requests", {
          retry_after_ms: Math.ceil(result.retryAfterMs),
        });
      },
    },
    createOrder,
  );

  return (request, ctx) => {
    const path = new URL(request.url).pathname;
    if (path === "/orders") {
      if (request.method === "POST") return limitedCreateOrder(request, ctx);
      return problem(405, "method not allowed", undefined, { allow: "POST" });
    }
    const match = /^\/orders\/([^/]+)$/.exec(path);
    if (match?.[1] !== undefined) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return problem(405, "method not allowed", undefined, { allow: "GET, HEAD" });
      }
      let id = "";
      try {
        id = decodeURIComponent(match[1]);
      } catch {
        // A malformed escape cannot name an order.
      }
      const order = orders.get(id);
      return order === undefined ? problem(404, "no such order") : Response.json(order);
    }
    return problem(404, "not found");
  };
}
