import { duration } from "@groundwork/settings";
import { z } from "zod";

const sandbox = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Runs the service under Node's permission model: the process re-executes itself with `--permission` (`--experimental-permission` on Node 20) and the allow-lists below.\n\nFile access outside them, child processes and worker threads then fail with ERR_ACCESS_DENIED. Network access is not restricted.",
      ),
    fs_read: z
      .array(z.string())
      .default([])
      .describe(
        "Files and directories the service may read (a directory covers everything below it). Must include the service's code and its dependencies.",
      ),
    fs_write: z
      .array(z.string())
      .default([])
      .describe("Files and directories the service may write, such as a log file's directory."),
    child_process: z.boolean().default(false).describe("Allows starting child processes."),
    worker: z.boolean().default(false).describe("Allows starting worker threads."),
  })
  .prefault({});

/**
 * Settings of the service lifecycle that `runService` reads, to embed in an
 * application's settings under `service`: how long a graceful shutdown may
 * drain requests, and the sandbox (Node's permission model).
 *
 * @example
 * ```ts
 * import { defineSettings, telemetrySettings } from "@groundwork/settings";
 * import { serviceSettings } from "@groundwork/node";
 * import { z } from "zod";
 *
 * const Settings = defineSettings(
 *   z.object({ service: serviceSettings, telemetry: telemetrySettings }),
 * );
 * Settings.defaults().service.shutdown_timeout; // 10000 (ms)
 * ```
 */
export const serviceSettings = z
  .object({
    shutdown_timeout: duration()
      .default(10_000)
      .describe(
        "How long requests in flight may take to finish after SIGTERM or SIGINT, before they are cut off and the process flushes its telemetry and exits.",
      ),
    sandbox: sandbox.describe("Sandbox: Node's permission model."),
  })
  .prefault({})
  .describe("Service lifecycle settings.");

/** Validated `service:` settings; `shutdown_timeout` is in milliseconds. */
export type ServiceSettings = z.output<typeof serviceSettings>;

/** `service.sandbox`: whether the permission model is on, and its allow-lists. */
export type SandboxSettings = ServiceSettings["sandbox"];
