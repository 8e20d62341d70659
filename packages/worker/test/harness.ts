import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  bundleWorker as bundle,
  type OtlpReceiver,
  startOtlpReceiver,
} from "@groundwork/test-harness";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll } from "vitest";

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

/** A console call of a fixture Worker, as its `/__console` route returns them. */
export interface Printed {
  method: string;
  value: Record<string, unknown> | string;
}

/**
 * Reads (and clears) what a fixture Worker printed, through its `/__console` route.
 *
 * @param worker - the Miniflare instance, or one of its Workers
 */
export async function printed(worker: {
  dispatchFetch?: Miniflare["dispatchFetch"];
  fetch?: (url: string) => Promise<Response>;
}): Promise<Printed[]> {
  const url = "http://worker.test/__console";
  const res =
    worker.dispatchFetch !== undefined
      ? await worker.dispatchFetch(url)
      : await (worker.fetch as (url: string) => Promise<Response>)(url);
  return (await res.json()) as Printed[];
}

/** What {@link useFixtureWorkers} gives a test file. */
export interface FixtureWorkers {
  /** The echo server the Workers' `ECHO` binding points at. */
  readonly echo: EchoServer;
  /** The OTLP receiver of the Workers' `OTLP` binding (with `receiver: true`). */
  readonly receiver: OtlpReceiver;
  /**
   * Starts `fixtures/worker.ts` with `ECHO` (and `OTLP`) set and `bindings` on top;
   * disposed after the test.
   */
  start(bindings?: Record<string, string>, flags?: string[]): Promise<Miniflare>;
}

/**
 * The setup shared by the test files that start `fixtures/worker.ts` once or more per test:
 * the Worker bundled once, an echo server (and, with `receiver`, an OTLP receiver reset after
 * each test) for the file, and the Workers a test starts disposed after it.
 *
 * @param options - `receiver`: start an OTLP receiver and bind it as `OTLP`
 * @returns the file's Workers and servers
 */
export function useFixtureWorkers(options: { receiver?: boolean } = {}): FixtureWorkers {
  let script: string;
  let echo: EchoServer | undefined;
  let receiver: OtlpReceiver | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    script = await bundleWorker("./fixtures/worker.ts");
    echo = await startEchoServer();
    if (options.receiver === true) receiver = await startOtlpReceiver();
  }, 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    receiver?.reset();
  });
  afterAll(async () => {
    await echo?.stop();
    await receiver?.stop();
  });
  return {
    get echo() {
      if (echo === undefined) throw new Error("the echo server starts in beforeAll");
      return echo;
    },
    get receiver() {
      if (receiver === undefined)
        throw new Error("useFixtureWorkers({ receiver: true }) starts it");
      return receiver;
    },
    async start(bindings = {}, flags) {
      const base: Record<string, string> = { ECHO: (echo as EchoServer).url };
      if (receiver !== undefined) base.OTLP = receiver.url;
      const mf = await startWorker(script, { ...base, ...bindings }, flags);
      cleanups.push(() => mf.dispose());
      return mf;
    },
  };
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
