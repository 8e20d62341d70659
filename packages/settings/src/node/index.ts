import * as fs from "node:fs/promises";
import { consoleSink, type LogSink } from "@groundwork/core";
import { fileSink, stderrSink, stdoutSink } from "@groundwork/core/node";
// Imported by package name so the Node entry shares one copy of the core (and of SettingsError) with the root entry.
import {
  fsReadFile,
  type LoadOptions,
  type LogOutput,
  type ReadFile,
  type Settings,
} from "@groundwork/settings";

export type { CliIo } from "./cli";
export { runCli } from "./cli";

/**
 * Reads files with `node:fs`, stopping after the size limit (so a huge file is
 * rejected without being read whole).
 *
 * @example
 * ```ts
 * await Settings.load({ files: ["app.yaml"], readFile: nodeReadFile });
 * ```
 */
export const nodeReadFile: ReadFile = fsReadFile(fs);

/**
 * Loads settings on Node: files through `node:fs`, variables from `process.env`.
 *
 * @param settings - a definition from `defineSettings`
 * @param options - as for `Settings.load`; `readFile` defaults to {@link nodeReadFile}, `vars` to `process.env`
 * @returns the validated settings
 * @throws `SettingsError` listing every problem
 * @example
 * ```ts
 * import { loadSettings } from "@groundwork/settings/node";
 *
 * const settings = await loadSettings(Settings, {
 *   files: ["config.yaml"],
 *   env: { prefix: "APP_" },
 *   args: process.argv.slice(2),
 * });
 * ```
 */
export function loadSettings<T>(settings: Settings<T>, options: LoadOptions = {}): Promise<T> {
  return settings.load({ readFile: nodeReadFile, vars: process.env, ...options });
}

/**
 * Builds the log sink for `logging.output` on Node: `terminal` → standard
 * output, `stderr` → standard error, `console` → the console, `{ file }` →
 * that file (appended). Pass it as `sinkFor` to `telemetryOptionsFromSettings`.
 *
 * @param output - the `logging.output` setting.
 * @returns a bounded, non-blocking sink.
 * @example
 * ```ts
 * const options = telemetryOptionsFromSettings(settings.telemetry, { serviceName: "api", sinkFor: nodeSinkFor });
 * ```
 */
export function nodeSinkFor(output: LogOutput): LogSink {
  if (output === "terminal") return stdoutSink();
  if (output === "stderr") return stderrSink();
  if (output === "console") return consoleSink();
  return fileSink(output.file);
}
