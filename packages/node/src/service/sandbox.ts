import { spawn } from "node:child_process";
import { constants } from "node:os";
import { resolve } from "node:path";
import type { SandboxSettings } from "./service-settings";

/** Set in the environment of the re-executed process, so it does not re-execute again. */
export const SANDBOX_ENV_MARKER = "GROUNDWORK_SANDBOXED";

/** Whether this process runs under the permission model. */
export function permissionModelActive(): boolean {
  return (process as { permission?: unknown }).permission !== undefined;
}

function normalise(path: string): string {
  const absolute = resolve(path);
  // Node 20 does not match a directory given with a trailing slash.
  return absolute.length > 1 ? absolute.replace(/\/+$/, "") : absolute;
}

/**
 * The Node flags that enable the permission model with the settings'
 * allow-lists: `--permission` where Node has it (22.13+, 23.5+),
 * `--experimental-permission` before.
 *
 * @param settings - `service.sandbox`
 * @param flags - the flags this Node accepts. Default `process.allowedNodeEnvironmentFlags`.
 * @returns the flags, one path per `--allow-fs-*` flag
 */
export function permissionFlags(
  settings: SandboxSettings,
  flags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags,
): string[] {
  const out = [flags.has("--permission") ? "--permission" : "--experimental-permission"];
  for (const path of settings.fs_read) out.push(`--allow-fs-read=${normalise(path)}`);
  for (const path of settings.fs_write) out.push(`--allow-fs-write=${normalise(path)}`);
  if (settings.child_process) out.push("--allow-child-process");
  if (settings.worker) out.push("--allow-worker");
  return out;
}

/**
 * Runs this same script again under the permission model and mirrors its
 * fate: SIGTERM and SIGHUP are forwarded (SIGINT from a terminal reaches the
 * whole process group already), and the returned promise resolves with the
 * exit code to use (128 + signal number when the child was killed).
 */
export function reexecSandboxed(settings: SandboxSettings): Promise<number> {
  const args = [...permissionFlags(settings), ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(process.execPath, args, {
    stdio: "inherit",
    env: { ...process.env, [SANDBOX_ENV_MARKER]: "1" },
  });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onTerm = forward("SIGTERM");
  const onHup = forward("SIGHUP");
  // Handled here so the parent outlives the child and reports its exit code.
  const onInt = () => {};
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  process.on("SIGINT", onInt);
  return new Promise((resolveCode) => {
    child.once("error", () => resolveCode(1));
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
      process.off("SIGINT", onInt);
      if (code !== null) resolveCode(code);
      else resolveCode(128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
