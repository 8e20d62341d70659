import { serviceSettings } from "@groundwork/node";
import {
  defineSettings,
  duration,
  rate,
  socketAddr,
  telemetrySettings,
} from "@groundwork/settings";
import { z } from "zod";

const route = z.object({
  status_code: z
    .number()
    .int()
    .min(100)
    .max(599)
    .default(200)
    .describe("Status code of the answer."),
  response: z
    .string()
    .default("")
    .describe("Body of the answer; served as JSON when it starts with `{` or `[`."),
  delay: duration().default(0).describe("How long to wait before answering (simulated latency)."),
});

const endpoint = z.object({
  addr: socketAddr()
    .default("127.0.0.1:0")
    .describe("Address the endpoint listens on; port 0 picks a free port."),
  routes: z
    .record(z.string().regex(/^\//, "a URL path starting with /"), route)
    .default({})
    .describe("Routes by URL path; other paths get 404."),
});

/**
 * The service's settings: the orders API, its rate limit and inventory
 * check, static endpoints served as configured, the lifecycle settings of
 * `@groundwork/node` under `service`, and the SDK's telemetry settings under
 * `telemetry`.
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
    inventory: z
      .object({
        url: z
          .string()
          .refine((value) => /^endpoint:.+$/.test(value) || URL.canParse(value), {
            message: "expected a URL or endpoint:<name>",
          })
          .nullable()
          .default(null)
          .describe(
            'Base URL of the inventory service, asked `GET <url>/stock/<item>` before an order is accepted (it answers `{"in_stock": true|false}`). `endpoint:<name>` means the endpoint of that name below; `~` skips the check.',
          ),
      })
      .describe("Inventory check on order creation (an outbound HTTP call)."),
    endpoints: z
      .record(z.string(), endpoint)
      .default({
        hello: {
          addr: "127.0.0.1:0",
          routes: { "/hello": { status_code: 200, response: "Hello, world!\n", delay: 0 } },
        },
      })
      .describe(
        "Static HTTP endpoints, by a name of your choice: each listens on its own address and answers its routes as configured.",
      ),
    demo: z
      .boolean()
      .default(false)
      .describe(
        "Demo mode: prints spans to the console instead of exporting them, and sends a few requests to the service at start so its logs, traces and metrics show at once.",
      ),
    service: serviceSettings,
    telemetry: telemetrySettings,
  }),
);

/** The validated settings of the service. */
export type ServiceSettings = ReturnType<typeof Settings.defaults>;
