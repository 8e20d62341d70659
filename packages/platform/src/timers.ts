import { runtimeGlobal } from "./globals";

/** An opaque handle of a timer started by {@link setUnrefTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol };

type Schedule = (callback: () => void, ms: number) => unknown;
type Cancel = (handle: unknown) => void;

function unref(handle: unknown): void {
  const h = handle as { unref?: () => void } | null | undefined;
  if (h !== null && typeof h === "object" && typeof h.unref === "function") h.unref();
}

/**
 * `setTimeout` that does not keep a Node process alive (Node's `unref`; other runtimes have
 * no such notion).
 *
 * @param callback - what to run.
 * @param ms - the delay in milliseconds.
 * @returns a handle for {@link clearTimer}.
 * @example
 * ```ts
 * const t = setUnrefTimeout(() => flush(), 1000);
 * clearTimer(t);
 * ```
 */
export function setUnrefTimeout(callback: () => void, ms: number): TimerHandle {
  const handle = (runtimeGlobal<Schedule>("setTimeout") as Schedule)(callback, ms);
  unref(handle);
  return handle as TimerHandle;
}

/**
 * Cancels a timer started by {@link setUnrefTimeout}; `undefined` is ignored.
 *
 * @param handle - the timer.
 */
export function clearTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) (runtimeGlobal<Cancel>("clearTimeout") as Cancel)(handle);
}

/**
 * A repeating timer that does not keep a Node process alive.
 *
 * @param callback - what to run.
 * @param ms - the period in milliseconds.
 * @returns a function that stops the timer, or `undefined` where timers cannot start
 *   (workerd refuses them in global scope), leaving the caller to work on demand.
 */
export function setUnrefInterval(callback: () => void, ms: number): (() => void) | undefined {
  const schedule = runtimeGlobal<Schedule>("setInterval");
  const cancel = runtimeGlobal<Cancel>("clearInterval");
  if (typeof schedule !== "function" || typeof cancel !== "function") return undefined;
  let handle: unknown;
  try {
    handle = schedule(callback, ms);
  } catch {
    return undefined;
  }
  unref(handle);
  return () => cancel(handle);
}

/**
 * Runs `callback` after the current synchronous code and earlier microtasks.
 *
 * @param callback - what to run.
 */
export function queueMicrotask(callback: () => void): void {
  (runtimeGlobal<(cb: () => void) => void>("queueMicrotask") as (cb: () => void) => void)(callback);
}
