import { runtimeGlobal } from "./globals";
import type { TimerHandle } from "./timers";

type Schedule = (callback: () => void, ms: number) => unknown;

/**
 * Starts a timeout that, unlike `setUnrefTimeout`, keeps a Node process alive until it
 * fires: for waits that an awaited flush or shutdown depends on (a retry backoff), which
 * must not let the process exit halfway. Cancel it with `clearTimer`.
 *
 * @param callback - called once after `ms`.
 * @param ms - delay in milliseconds.
 * @returns a handle for `clearTimer`.
 * @example
 * ```ts
 * const handle = setRefTimeout(() => retry(), 1000);
 * clearTimer(handle);
 * ```
 */
export function setRefTimeout(callback: () => void, ms: number): TimerHandle {
  return (runtimeGlobal<Schedule>("setTimeout") as Schedule)(callback, ms) as TimerHandle;
}
