// The orders service: `pnpm start` at the repository root runs it in demo
// mode on DEMO_CONFIG; `-c config.yaml` runs it on a configuration file.
// runService handles the command line (--help, -g, -c, --set), settings,
// telemetry, the telemetry server, signals and shutdown.
import { runService } from "@groundwork/node";
import { runDemo } from "./demo";
import { DEMO_CONFIG } from "./demo-config";
import { startService } from "./service";
import { Settings } from "./settings";

await runService({
  name: "orders-service",
  version: "0.1.0",
  settings: Settings,
  envPrefix: "ORDERS_",
  defaultConfig: { name: "<demo config>", text: DEMO_CONFIG },
  // Demo mode prints spans instead of exporting them, so no collector is needed.
  telemetryOptions: (options, settings) =>
    settings.demo && options.tracing !== false
      ? { ...options, tracing: { ...options.tracing, exporter: "console" } }
      : options,
  main: async (ctx) => {
    const urls = await startService(ctx);
    if (ctx.settings.demo) await runDemo(urls);
  },
});
