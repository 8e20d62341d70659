// The orders service's command line:
//   --generate, -g         print the annotated default configuration and exit
//   --config, -c <file>    load a configuration file (repeatable; later files win)
//   --set key.path=value   override one setting (repeatable)
// Environment variables prefixed ORDERS_ override files
// (ORDERS_HTTP__ADDR=0.0.0.0:8080). SIGTERM or SIGINT stops it gracefully.
import { parseArgs } from "node:util";
import { SettingsError } from "@groundwork/settings";
import { loadSettings } from "@groundwork/settings/node";
import { startService } from "./service";
import { Settings } from "./settings";

const SERVICE_NAME = "orders-service";
const SERVICE_VERSION = "0.0.0";

const USAGE = `usage: orders-service [-g | --generate] [-c | --config file.yaml]... [--set key=value]...
`;

async function main(rawArgs: readonly string[]): Promise<number> {
  // `pnpm start -- -c file.yaml` hands the script a literal leading `--`.
  const argv = rawArgs[0] === "--" ? rawArgs.slice(1) : rawArgs;
  let values: { generate?: boolean; config?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        generate: { type: "boolean", short: "g" },
        config: { type: "string", short: "c", multiple: true },
        set: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.generate === true) {
    process.stdout.write(Settings.defaultYaml());
    return 0;
  }

  let settings: ReturnType<typeof Settings.defaults>;
  try {
    settings = await loadSettings(Settings, {
      files: values.config ?? [],
      env: { prefix: "ORDERS_" },
      args: [...argv],
    });
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.format({ color: process.stderr.isTTY })}\n`);
      return 1;
    }
    throw error;
  }

  const service = await startService(settings, {
    serviceName: SERVICE_NAME,
    serviceVersion: SERVICE_VERSION,
  });
  // Code running outside a request (this file, timers) logs through the service's root log.
  service.telemetry.install();
  process.stdout.write(`orders API listening on ${service.url}\n`);
  if (service.telemetryUrl !== undefined) {
    process.stdout.write(`telemetry server on ${service.telemetryUrl} (/health, /metrics)\n`);
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      service.telemetry.log.info("shutting down", { signal });
      // Flushing waits for the collector (up to its export timeout); a second
      // signal means the operator does not want to wait.
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      process.once("SIGTERM", () => process.exit(143));
      process.once("SIGINT", () => process.exit(130));
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await service.close();
  const spans = service.telemetry.stats().spans;
  if (spans !== undefined) {
    process.stdout.write(`stopped; spans exported: ${spans.exported}, failed: ${spans.failed}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
