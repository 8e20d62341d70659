import {
  log as ambientLog,
  createTelemetry,
  type Logger,
  type Telemetry,
  type TelemetryOptions,
} from "@groundwork/core";
import { createTelemetryCollector, defaultRegistry, type Registry } from "@groundwork/metrics";
import {
  registryOptionsFromSettings,
  type Settings,
  SettingsError,
  type SettingsText,
  type TelemetrySettings,
  telemetryOptionsFromSettings,
} from "@groundwork/settings";
import { loadSettings, nodeSinkFor } from "@groundwork/settings/node";
import { createProcessMetrics } from "../process-metrics/index";
import {
  serveTelemetry,
  type TelemetryServer,
  telemetryServerOptionsFromSettings,
} from "../telemetry-server/index";
import { createTraceBuffer } from "../telemetry-server/trace-buffer";
import { parseCommandLine, usage } from "./cli";
import { applyOtelEnv } from "./otel-env";
import { permissionModelActive, reexecSandboxed, SANDBOX_ENV_MARKER } from "./sandbox";
import { type ServiceSettings, serviceSettings } from "./service-settings";

/**
 * Something `runService` closes at shutdown: a server from `serve()`, a pool, a queue consumer.
 *
 * @example
 * ```ts
 * ctx.register({ close: () => pool.end() });
 * ```
 */
export interface Closeable {
  /** Stops it; may return a promise. A rejection is logged. */
  close(): unknown;
}

/** The settings `runService` needs: the SDK's `telemetry` section, and optionally `service`. */
export interface RunnableSettings {
  /** `telemetry:` (embed `telemetrySettings` from `@groundwork/settings`). */
  readonly telemetry: TelemetrySettings;
  /** `service:` (embed {@link serviceSettings}); defaults apply when absent. */
  readonly service?: ServiceSettings;
}

/**
 * What `main` receives.
 *
 * @example
 * ```ts
 * const main = async (ctx: ServiceContext<AppSettings>) => {
 *   const api = ctx.register(await serve(handler, { port: ctx.settings.port }));
 *   ctx.telemetryServer?.addHealthCheck("database", () => db.ping());
 *   ctx.onShutdown(() => cache.persist());
 *   ctx.log.info("API listening", { url: api.url });
 * };
 * ```
 */
export interface ServiceContext<T> {
  /** The validated settings. */
  readonly settings: T;
  /** The installed telemetry instance. */
  readonly telemetry: Telemetry;
  /** The service's root log. */
  readonly log: Logger;
  /**
   * The registry served on `/metrics`: the metrics package's `defaultRegistry`,
   * configured with the service name and the metrics settings, so `serve()`
   * and `defineMetrics` use it without being told.
   */
  readonly registry: Registry;
  /** The telemetry server, unless `telemetry.server.enabled` is false. */
  readonly telemetryServer: TelemetryServer | undefined;
  /** Aborts when shutdown begins; hand it to loops and background jobs. */
  readonly signal: AbortSignal;
  /**
   * Closes `closeable` at shutdown, first thing, together with the others
   * registered, within `service.shutdown_timeout` (a `serve()` server stops
   * accepting and drains its requests in that time).
   *
   * @returns `closeable`, for chaining
   */
  register<C extends Closeable>(closeable: C): C;
  /**
   * Runs `fn` at shutdown, after the registered closeables are closed and
   * before telemetry is flushed; hooks run in reverse order of registration.
   */
  onShutdown(fn: () => unknown): void;
}

/** Options of {@link runService}. */
export interface RunServiceOptions<T extends RunnableSettings> {
  /** Service name: `service.name` of logs and spans, the metric prefix, the name in `--help`. */
  name: string;
  /** `service.version` and the `version` label of `build_info`. Default none. */
  version?: string;
  /** The service's settings definition (from `defineSettings`). */
  settings: Settings<T>;
  /** Starts the service; resolve once it serves. A rejection stops the process with exit code 1. */
  main: (ctx: ServiceContext<T>) => unknown;
  /**
   * YAML used in place of configuration files when no `-c` is given, e.g. a
   * demo configuration shipped with the service. Default none (the schema
   * defaults).
   */
  defaultConfig?: string | SettingsText;
  /** Prefix of environment variables that override settings. Default the name in upper case with `_` (`ORDERS_SERVICE_`). */
  envPrefix?: string;
  /** Command-line arguments. Default `process.argv.slice(2)`. */
  argv?: readonly string[];
  /**
   * Adjusts the telemetry options built from the settings and `OTEL_*`
   * variables, e.g. to add a span processor. Default none.
   */
  telemetryOptions?: (options: TelemetryOptions, settings: T) => TelemetryOptions;
}

/** How the process ends: code and whether telemetry should be flushed first. */
type Exit = (code: number) => Promise<never>;

const errorFields = (error: unknown) => (error instanceof Error ? error : { error: String(error) });

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

async function loadOrExit<T>(
  options: RunServiceOptions<T & RunnableSettings>,
  envPrefix: string,
  configs: string[],
  args: string[],
): Promise<T | number> {
  const fallback = options.defaultConfig;
  const files: (string | SettingsText)[] =
    configs.length > 0 || fallback === undefined
      ? configs
      : [typeof fallback === "string" ? { name: "<default config>", text: fallback } : fallback];
  try {
    return await loadSettings(options.settings, { files, env: { prefix: envPrefix }, args });
  } catch (error) {
    if (error instanceof SettingsError) {
      await write(process.stderr, `${error.format({ color: process.stderr.isTTY === true })}\n`);
      return 1;
    }
    await write(
      process.stderr,
      `${options.name}: cannot load settings: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

/**
 * Runs a service process from its settings and a `main` function, and owns
 * its lifecycle:
 *
 * 1. parses the command line: `-c/--config <file>` (repeatable), `--set key.path=value`
 *    (repeatable), `-g/--generate` (annotated default YAML to stdout, exit 0), `-h/--help`;
 * 2. loads settings: defaults ← files (or `defaultConfig`) ← `<PREFIX>_…` variables ← `--set`;
 *    invalid settings print their located errors and exit 1;
 * 3. with `service.sandbox.enabled`, re-executes itself under Node's permission model;
 * 4. builds and installs telemetry from `telemetry:` (and the standard `OTEL_*` trace
 *    export variables), configures `defaultRegistry` (SDK counters, process metrics),
 *    starts the telemetry server, and calls `main`;
 * 5. on SIGTERM or SIGINT: `ctx.signal` aborts, `/health` fails, registered closeables
 *    close (servers drain) within `service.shutdown_timeout`, shutdown hooks run, logs and
 *    spans are flushed, exit 0; a second signal exits at once (130 or 143);
 * 6. an uncaught exception or unhandled rejection is logged (with the trace context it
 *    happened in), telemetry is flushed, exit 1; when nothing is left to do (the event
 *    loop empties), the same graceful shutdown runs with exit 0.
 *
 * It never returns: the process exits at the end.
 *
 * @param options - `name`, `settings`, `main`; `version`, `defaultConfig`, `envPrefix`,
 *   `argv`, `telemetryOptions` (see {@link RunServiceOptions})
 * @returns a promise that never resolves (the process exits)
 * @example
 * ```ts
 * import { runService, serve, serviceSettings } from "@groundwork/node";
 * import { defineSettings, telemetrySettings } from "@groundwork/settings";
 * import { z } from "zod";
 *
 * const Settings = defineSettings(
 *   z.object({ service: serviceSettings, telemetry: telemetrySettings }),
 * );
 *
 * await runService({
 *   name: "hello",
 *   version: "1.0.0",
 *   settings: Settings,
 *   main: async (ctx) => {
 *     const server = ctx.register(await serve(() => new Response("hello\n"), { port: 8080 }));
 *     ctx.log.info("listening", { url: server.url });
 *   },
 * });
 * ```
 */
export async function runService<T extends RunnableSettings>(
  options: RunServiceOptions<T>,
): Promise<never> {
  const envPrefix =
    options.envPrefix ?? `${options.name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_`;
  const request = parseCommandLine(options.argv ?? process.argv.slice(2));
  const bareExit = async (code: number): Promise<never> => process.exit(code);

  if (request.kind === "usage-error") {
    await write(
      process.stderr,
      `${options.name}: ${request.message}\n\n${usage(options.name, envPrefix)}`,
    );
    return bareExit(2);
  }
  if (request.kind === "help") {
    await write(process.stdout, usage(options.name, envPrefix));
    return bareExit(0);
  }
  if (request.kind === "generate") {
    await write(process.stdout, options.settings.defaultYaml());
    return bareExit(0);
  }

  const loaded = await loadOrExit<T>(options, envPrefix, request.configs, request.args);
  if (typeof loaded === "number") return bareExit(loaded);
  const settings = loaded;
  const service: ServiceSettings = settings.service ?? serviceSettings.parse(undefined);

  if (service.sandbox.enabled && process.env[SANDBOX_ENV_MARKER] === undefined) {
    return bareExit(await reexecSandboxed(service.sandbox));
  }

  try {
    return await start(options, settings, service);
  } catch (error) {
    // Telemetry could not be built (a log file that cannot be opened, invalid
    // options): there is no log to report it to yet.
    await write(
      process.stderr,
      `${options.name}: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return bareExit(1);
  }
}

async function start<T extends RunnableSettings>(
  options: RunServiceOptions<T>,
  settings: T,
  service: ServiceSettings,
): Promise<never> {
  const server = settings.telemetry.server;
  const traces = server.enabled && server.debug_routes ? createTraceBuffer() : undefined;

  let telemetryOptions = applyOtelEnv(
    telemetryOptionsFromSettings(settings.telemetry, {
      serviceName: options.name,
      ...(options.version === undefined ? {} : { serviceVersion: options.version }),
      sinkFor: nodeSinkFor,
    }),
    process.env,
  );
  if (traces !== undefined && telemetryOptions.tracing !== false) {
    const tracing = telemetryOptions.tracing ?? {};
    telemetryOptions = {
      ...telemetryOptions,
      tracing: {
        ...tracing,
        spanProcessors: [...(tracing.spanProcessors ?? []), traces.processor],
      },
    };
  }
  if (options.telemetryOptions !== undefined) {
    telemetryOptions = options.telemetryOptions(telemetryOptions, settings);
  }
  const telemetry = createTelemetry(telemetryOptions).install();
  const log = telemetry.log;
  if (service.sandbox.enabled && !permissionModelActive()) {
    log.warn("sandbox requested but the permission model is not active");
  }

  const registry = defaultRegistry;
  registry.configure({
    ...registryOptionsFromSettings(settings.telemetry.metrics, { serviceName: options.name }),
    ...(options.version === undefined ? {} : { build: { version: options.version } }),
  });
  registry.registerCollector(createTelemetryCollector(telemetry));
  const processMetrics = server.process_metrics ? createProcessMetrics() : undefined;
  if (processMetrics !== undefined) registry.registerCollector(processMetrics.collector);

  const closeables: Closeable[] = [];
  const hooks: (() => unknown)[] = [];
  const controller = new AbortController();
  let stopping: Promise<never> | undefined;
  let telemetryServer: TelemetryServer | undefined;

  // Flushing is bounded by the exporter's own timeouts; the process exits after it either way.
  const exit: Exit = async (code) => {
    processMetrics?.stop();
    await telemetry.shutdown();
    return process.exit(code);
  };

  const closeWithin = async (timeoutMs: number) => {
    const closing = closeables.map(async (closeable) => {
      try {
        await closeable.close();
      } catch (error) {
        log.error("closing failed at shutdown", errorFields(error));
      }
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      Promise.all(closing).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) log.warn("shutdown timeout reached; closing anyway", { timeout_ms: timeoutMs });
  };

  async function stop(reason: string, code: number): Promise<never> {
    controller.abort(new Error(reason));
    log.info("shutting down", { reason });
    await closeWithin(service.shutdown_timeout);
    for (const hook of hooks.splice(0).reverse()) {
      try {
        await hook();
      } catch (error) {
        log.error("shutdown hook failed", errorFields(error));
      }
    }
    await telemetryServer?.close();
    log.info("stopped", { reason });
    return exit(code);
  }

  const shutdown = (reason: string, code: number): Promise<never> => {
    stopping ??= stop(reason, code);
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping !== undefined) {
      // The operator does not want to wait: lines already buffered are written at exit.
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    void shutdown(signal, 0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const fatal = (what: string) => (error: unknown) => {
    // Node runs these handlers in the async context the error came from, so
    // the ambient log carries that request's fields and trace ids.
    ambientLog.fatal(what, errorFields(error));
    if (stopping === undefined) stopping = exit(1);
    else void exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));
  // Nothing is left to do (a batch job finished): shut down as on a signal, so nothing is lost.
  process.on("beforeExit", () => {
    void shutdown("event loop empty", 0);
  });

  try {
    if (server.enabled) {
      telemetryServer = await serveTelemetry({
        ...telemetryServerOptionsFromSettings(server),
        registry,
        ...(traces === undefined ? {} : { traces }),
        log,
        // A batch service whose work is done exits (gracefully) even with the server running.
        keepAlive: false,
        healthChecks: {
          // Fails once shutdown begins, so load balancers stop sending traffic while requests drain.
          lifecycle: () => {
            if (stopping !== undefined) throw new Error("shutting down");
          },
        },
      });
    }
    await telemetry.run(() =>
      options.main({
        settings,
        telemetry,
        log,
        registry,
        telemetryServer,
        signal: controller.signal,
        register(closeable) {
          closeables.push(closeable);
          return closeable;
        },
        onShutdown(fn) {
          hooks.push(fn);
        },
      }),
    );
  } catch (error) {
    log.fatal("service failed to start", errorFields(error));
    await telemetryServer?.close();
    for (const closeable of closeables) {
      try {
        await closeable.close();
      } catch {
        // Already failing; the start error is what gets reported.
      }
    }
    return exit(1);
  }
  return new Promise<never>(() => {});
}
