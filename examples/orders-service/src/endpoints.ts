import { type RunningServer, serve } from "@groundwork/node";
import { parseSocketAddr } from "@groundwork/settings";
import type { ServiceSettings } from "./settings";

type Endpoint = ServiceSettings["endpoints"][string];

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Serves one configured endpoint: each route answers its `status_code` and
 * `response` after its `delay`; other paths get 404. Requests are traced,
 * logged and counted by `serve()`, with the configured paths as routes.
 *
 * @param endpoint - `addr` and `routes` from the settings
 * @returns the running server
 * @example
 * ```ts
 * const server = await serveEndpoint({ addr: "127.0.0.1:0", routes: { "/": { status_code: 200, response: "hi", delay: 0 } } });
 * ```
 */
export async function serveEndpoint(endpoint: Endpoint): Promise<RunningServer> {
  const addr = parseSocketAddr(endpoint.addr);
  const routes = new Map(Object.entries(endpoint.routes));
  return serve(
    async (request) => {
      const route = routes.get(new URL(request.url).pathname);
      if (route === undefined) return Response.json({ error: "not found" }, { status: 404 });
      if (route.delay > 0) await sleep(route.delay, request.signal);
      const json = /^\s*[[{]/.test(route.response);
      return new Response(route.response, {
        status: route.status_code,
        headers: { "content-type": json ? "application/json" : "text/plain; charset=utf-8" },
      });
    },
    { host: addr?.host ?? "127.0.0.1", port: addr?.port ?? 0, routes: [...routes.keys()] },
  );
}
