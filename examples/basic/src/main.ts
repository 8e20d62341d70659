// The batch example: a batch of jobs processed concurrently, each in its own
// forked log and forked trace. Run it with `pnpm start:basic` at the repository root.
// Set OTLP_ENDPOINT (e.g. http://127.0.0.1:4318/v1/traces) to export spans to
// a collector instead of printing them; LOG_FORMAT=json for JSON lines.
import { createTelemetry } from "@groundwork/core";
import { type Job, runJobs } from "./jobs";

const format = process.env.LOG_FORMAT === "json" ? "json" : "text";
const telemetry = createTelemetry({
  serviceName: "example-basic",
  serviceVersion: "0.0.0",
  logging: { level: "debug", format, redactKeys: ["api_token"] },
  tracing: {
    exporter: process.env.OTLP_ENDPOINT ? { endpoint: process.env.OTLP_ENDPOINT } : "console",
    batch: { scheduledDelayMs: 200 },
  },
}).install();

const jobs: Job[] = Array.from({ length: 8 }, (_, i) => ({
  id: `job-${i + 1}`,
  customer: ["acme", "globex", "initech"][i % 3] as string,
  costMs: 10 + i * 7,
  apiToken: `tok_${i}`,
}));

await telemetry.run(() => runJobs(jobs));
const { logs, spans } = telemetry.stats();
telemetry.log.info("telemetry volume", {
  logs_emitted: logs.emitted,
  logs_dropped: logs.dropped,
  spans_queued: spans?.queued,
});
await telemetry.shutdown();
