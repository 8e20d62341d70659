// The main example: a batch of jobs processed concurrently, each in its own
// forked log. Run it with `pnpm start` at the repository root.
import { createTelemetry } from "@groundwork/core";
import { type Job, runJobs } from "./jobs";

const format = process.env.LOG_FORMAT === "json" ? "json" : "text";
const telemetry = createTelemetry({
  serviceName: "example-basic",
  serviceVersion: "0.0.0",
  logging: { level: "debug", format, redactKeys: ["api_token"] },
}).install();

const jobs: Job[] = Array.from({ length: 8 }, (_, i) => ({
  id: `job-${i + 1}`,
  customer: ["acme", "globex", "initech"][i % 3] as string,
  costMs: 10 + i * 7,
  apiToken: `tok_${i}`,
}));

await telemetry.run(() => runJobs(jobs));
const { emitted, dropped } = telemetry.stats().logs;
telemetry.log.info("log volume", { emitted, dropped });
await telemetry.shutdown();
