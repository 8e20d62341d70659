import { createTestTelemetry } from "@groundwork/testing";
import "@groundwork/testing/vitest";
import { describe, expect, it } from "vitest";
import { processJob, runJobs } from "../src/jobs";

describe("example jobs", () => {
  it("logs each job in its own forked log, with the token redacted", async () => {
    const t = createTestTelemetry({ redactKeys: ["api_token"] });
    await t.run(() =>
      runJobs([
        { id: "a", customer: "acme", costMs: 4, apiToken: "secret-a" },
        { id: "b", customer: "globex", costMs: 3, apiToken: "secret-b" },
      ]),
    );
    expect(t).toHaveLogged("info", "job started", { job_id: "a", api_token: "[REDACTED]" });
    expect(t).toHaveLogged("info", "job finished", { job_id: "a", attempt: 1 });
    expect(t).toHaveLogged("warn", "upstream slow, retrying", { job_id: "b", attempt: 1 });
    expect(t).toHaveLogged("info", "batch complete", { jobs: 2 });
    const batch = t.findLogs({ msg: "batch complete" })[0];
    expect(batch?.fields).not.toHaveProperty("job_id");
    expect(JSON.stringify(t.logs())).not.toContain("secret-");
    // One trace for the batch, and one forked trace per job linked to it.
    expect(t).toHaveTraceTree([
      ["batch"],
      ["job", ["call upstream"]],
      ["job", ["call upstream"], ["call upstream"]],
    ]);
    const jobA = t.findLogs({ msg: "job finished" })[0];
    const batchSpan = t.spans().find((s) => s.name === "batch");
    expect(jobA?.traceId).toBeDefined();
    expect(jobA?.traceId).not.toBe(batchSpan?.spanContext().traceId);
  });

  it("reports a job that keeps failing", async () => {
    const t = createTestTelemetry();
    await t.run(() => processJob({ id: "c", customer: "initech", costMs: 1, apiToken: "x" }));
    expect(t).toHaveLogged("error", "job failed after retries", { job_id: "c", attempt: 3 });
  });
});
