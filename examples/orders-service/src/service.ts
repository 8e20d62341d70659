import { type RunningServer, type ServiceContext, serve } from "@groundwork/node";
import { parseSocketAddr } from "@groundwork/settings";
import { serveEndpoint } from "./endpoints";
import { stockCheck } from "./inventory";
import { ORDER_ROUTES, ordersHandler } from "./orders";
import type { ServiceSettings } from "./settings";

/** Where the running service can be reached. */
export interface ServiceUrls {
  /** The orders API. */
  readonly api: string;
  /** Each configured endpoint, by name. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The telemetry server, unless disabled. */
  readonly telemetry: string | undefined;
}

/**
 * The service's `main`: serves the configured endpoints and the orders API
 * (each registered with `runService`, which drains them on SIGTERM) and logs
 * where they listen.
 *
 * @param ctx - the context `runService` passes to `main`
 * @returns the URLs
 * @example
 * ```ts
 * await runService({ name: "orders-service", settings: Settings, main: startService });
 * ```
 */
export async function startService(ctx: ServiceContext<ServiceSettings>): Promise<ServiceUrls> {
  const { settings, log } = ctx;
  const endpoints: Record<string, string> = {};
  for (const [name, endpoint] of Object.entries(settings.endpoints)) {
    const server = ctx.register(await serveEndpoint(endpoint));
    endpoints[name] = server.url;
    log.info("endpoint listening", { endpoint: name, url: server.url });
  }

  let inventoryUrl = settings.inventory.url ?? undefined;
  if (inventoryUrl?.startsWith("endpoint:")) {
    const name = inventoryUrl.slice("endpoint:".length);
    inventoryUrl = endpoints[name];
    if (inventoryUrl === undefined) throw new Error(`inventory.url names no endpoint "${name}"`);
  }

  const addr = parseSocketAddr(settings.http.addr);
  const api: RunningServer = ctx.register(
    await serve(
      ordersHandler({
        rateLimit: settings.rate_limit,
        ...(inventoryUrl === undefined ? {} : { stockCheck: stockCheck(inventoryUrl) }),
      }),
      {
        host: addr?.host ?? "127.0.0.1",
        port: addr?.port ?? 0,
        routes: [...ORDER_ROUTES],
        maxBodyBytes: 64 * 1024,
        shutdownTimeoutMs: settings.service.shutdown_timeout,
      },
    ),
  );
  log.info("orders API listening", { url: api.url, inventory: inventoryUrl ?? null });
  return { api: api.url, endpoints, telemetry: ctx.telemetryServer?.url };
}
