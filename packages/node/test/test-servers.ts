import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OtlpReceiver } from "@groundwork/test-harness";
import { afterEach } from "vitest";
import { type FetchHandler, type RunningServer, type ServeOptions, serve } from "../src/index";
import { setup, type TestSetup } from "./http-fixture";

/** What {@link useTestServers} gives a test file. */
export interface TestServers {
  /** A telemetry setup (see `setup`), shut down after the test. */
  setup(options?: Parameters<typeof setup>[1]): TestSetup;
  /** Listens on a free loopback port; the server is closed after the test. */
  listen(server: Server): Promise<string>;
  /** `serve()` with the setup's telemetry and registry (a new setup by default), closed after the test. */
  serve(
    handler: FetchHandler,
    options?: ServeOptions,
    t?: TestSetup,
  ): Promise<{ server: RunningServer; t: TestSetup }>;
}

/**
 * The servers and telemetry setups a test file starts, all closed after each
 * test: servers first (open connections dropped), then telemetry (flushed
 * and shut down).
 *
 * @param receiver - where the setups export their spans, if anywhere
 * @returns the helpers
 */
export function useTestServers(receiver?: OtlpReceiver): TestServers {
  let running: RunningServer[] = [];
  let plain: Server[] = [];
  let setups: TestSetup[] = [];
  afterEach(async () => {
    for (const s of plain) s.closeAllConnections();
    await Promise.all([
      ...running.map((s) => s.close({ timeoutMs: 100 })),
      ...plain.map((s) => new Promise((r) => s.close(r))),
    ]);
    await Promise.all(setups.map((t) => t.telemetry.shutdown()));
    running = [];
    plain = [];
    setups = [];
  });
  const tracked = (options?: Parameters<typeof setup>[1]): TestSetup => {
    const t = setup(receiver, options);
    setups.push(t);
    return t;
  };
  return {
    setup: tracked,
    async listen(server) {
      plain.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async serve(handler, options = {}, t = tracked()) {
      const server = await serve(handler, {
        telemetry: t.telemetry,
        metrics: t.registry,
        ...options,
      });
      running.push(server);
      return { server, t };
    },
  };
}
