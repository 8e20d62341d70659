import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleMetricsRequest, type Registry } from "../src/index";

/** A request as the test server saw it and what it answered. */
export interface Served {
  accept: string | undefined;
  contentType: string | null;
}

/**
 * Serves a registry over node:http through the fetch-style handler, the way an
 * adapter would. `forceAccept` replaces the client's Accept header.
 */
export async function serveRegistry(
  registry: Registry,
  options: { forceAccept?: string } = {},
): Promise<{ port: number; served: Served[]; close(): Promise<void> }> {
  const served: Served[] = [];
  const server: Server = createServer((req, res) => {
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(key, value);
    }
    if (options.forceAccept !== undefined) headers.set("accept", options.forceAccept);
    const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
    });
    const response = handleMetricsRequest(registry, request);
    served.push({ accept: req.headers.accept, contentType: response.headers.get("content-type") });
    void response.text().then((body) => {
      res.writeHead(response.status, {
        "content-type": response.headers.get("content-type") ?? "",
      });
      res.end(body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    port,
    served,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
