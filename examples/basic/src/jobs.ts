import { log, span, TelemetryContext } from "@groundwork/core";

/** A unit of work the example processes. */
export interface Job {
  id: string;
  customer: string;
  /** Simulated work time in milliseconds. */
  costMs: number;
  /** Sent along with the job; never written to logs in clear. */
  apiToken: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Processes one job in its own forked log and its own forked trace: the
 * fields it adds (job id, attempt) are on every line it writes and do not
 * leak into other jobs running at the same time; its spans form a trace of
 * their own, linked to the batch that started it.
 */
export async function processJob(job: Job): Promise<"done" | "failed"> {
  const jobContext = TelemetryContext.current()
    .forkLog({ job_id: job.id, customer: job.customer })
    .forkTrace("job", { attributes: { "job.id": job.id } });
  return jobContext.run(async () => {
    log.info("job started", { api_token: job.apiToken });
    for (let attempt = 1; attempt <= 3; attempt++) {
      log.addFields({ attempt });
      await span("call upstream", { attributes: { attempt } }, () => sleep(job.costMs));
      if (job.costMs % (attempt + 1) !== 0) {
        // Many jobs hit this at once in a bad minute; one call site, limited.
        log.warn("upstream slow, retrying", { waited_ms: job.costMs }, { rateLimit: "5/s" });
        continue;
      }
      log.info("job finished", { duration_ms: job.costMs * attempt });
      return "done";
    }
    log.error("job failed after retries");
    return "failed";
  });
}

/** Runs jobs concurrently inside a "batch" span and returns how many succeeded. */
export function runJobs(jobs: readonly Job[]): Promise<number> {
  return span("batch", async () => {
    const results = await Promise.all(jobs.map(processJob));
    const done = results.filter((r) => r === "done").length;
    log.info("batch complete", { jobs: jobs.length, done, failed: jobs.length - done });
    return done;
  });
}
