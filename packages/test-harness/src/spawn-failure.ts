/**
 * The error for a binary that could not be started at all (a missing file, no execute
 * permission), saying what to do about it. Launchers listen for the child process's
 * `error` event and throw this instead of letting the event go unhandled.
 *
 * @param binary - the path that was spawned
 * @param error - the child process's `error` event
 * @returns an error whose `cause` is the original one
 */
export function spawnFailure(binary: string, error: Error): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === "ENOENT"
      ? "it is not installed; `node scripts/ensure-system-deps.mjs` installs the integration tests' system packages"
      : (code ?? error.message);
  return new Error(`cannot start ${binary}: ${hint}`, { cause: error });
}
