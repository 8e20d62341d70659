import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bundleWorker as bundle } from "@groundwork/test-harness";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

/** Bundles a Worker entry (workspace packages from their TypeScript sources) into one ES module. */
export function bundleWorker(entry: string): Promise<string> {
  return bundle(new URL(entry, import.meta.url));
}

/** Starts a Worker in workerd (Miniflare) from bundled source. */
export async function startWorker(
  script: string,
  bindings: Record<string, string>,
  compatibilityFlags: string[] = ["nodejs_compat"],
  extra: Record<string, unknown> = {},
): Promise<Miniflare> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "worker",
      modules: true,
      script,
      compatibilityDate: "2025-09-01",
      compatibilityFlags,
      bindings,
      ...extra,
    }),
  );
  await mf.ready;
  return mf;
}

/** A request seen by {@link startEchoServer}. */
export interface EchoedRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

/** An HTTP server recording the requests it receives and answering `echo <path>`. */
export interface EchoServer {
  readonly url: string;
  readonly requests: EchoedRequest[];
  stop(): Promise<void>;
}

/** Starts an {@link EchoServer} on loopback. */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: EchoedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? "", headers: req.headers });
    res.end(`echo ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A collector that accepts connections and never answers. */
export async function startHangingServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reads `read()` every 25 ms until `ok` accepts its value, and returns that value;
 * throws with the last value after `ms` milliseconds (default 5000).
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting; last value: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
