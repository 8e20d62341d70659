import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

/** A child process whose output is collected as it arrives. */
export interface CapturedProcess {
  /** The process. */
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Settles with the exit code and signal when the process exits. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `process.execPath` with `args` (Node flags, a script, its arguments), collecting
 * its stdout and stderr. The process is remembered until it exits, so
 * {@link killCapturedProcesses} can stop whatever a failed test left running.
 *
 * @param args - Node's arguments, e.g. `["--import", "tsx", "main.ts", "-c", file]`
 * @param options - `cwd`, and `env` merged over this process's environment (default none)
 * @returns the running process and its output so far
 */
export function spawnCaptured(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): CapturedProcess {
  const child = spawn(process.execPath, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(
    () => running.delete(child),
    () => running.delete(child),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Kills (SIGKILL) every process from {@link spawnCaptured} that is still running. */
export function killCapturedProcesses(): void {
  for (const child of running) if (child.exitCode === null) child.kill("SIGKILL");
  running.clear();
}

/**
 * Stops a child process: SIGTERM, then SIGKILL if it has not exited after `graceMs`.
 * Settles once it has exited; at once if it already had.
 */
export async function stopProcess(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
