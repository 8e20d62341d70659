import { defineSettings, rate, socketAddr, telemetrySettings } from "@groundwork/settings";
import { z } from "zod";

/**
 * The service's settings: its HTTP listener, the rate limit on order
 * creation, and the SDK's own telemetry settings embedded under `telemetry`.
 *
 * @example
 * ```ts
 * process.stdout.write(Settings.defaultYaml()); // what `--generate` prints
 * const settings = Settings.parse("http:\n  addr: 127.0.0.1:0\n");
 * ```
 */
export const Settings = defineSettings(
  z.object({
    http: z
      .object({
        addr: socketAddr()
          .default("127.0.0.1:8080")
          .describe("Address the orders API listens on; port 0 picks a free port."),
      })
      .describe("HTTP API settings."),
    rate_limit: z
      .object({
        rate: rate()
          .default("5/s")
          .describe(
            "Sustained rate of `POST /orders` allowed per client (the `x-client-id` header), such as `10/s` or `600/min`.",
          ),
        burst: z
          .number()
          .int()
          .positive()
          .default(10)
          .describe("How many orders a client may create at once above the sustained rate."),
      })
      .describe(
        "Rate limit on order creation, per client.\n\nRefused requests get `429 Too Many Requests` with `Retry-After`.",
      ),
    telemetry: telemetrySettings,
  }),
);

/** The validated settings of the service. */
export type ServiceSettings = ReturnType<typeof Settings.defaults>;
