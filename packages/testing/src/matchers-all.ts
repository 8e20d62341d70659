import { toHaveLogged } from "./matchers";
import { toHaveMetric } from "./metrics/matchers";
import { toHaveSpan, toHaveTraceTree } from "./traces/matchers";

/**
 * All Groundwork matchers, for `expect.extend(groundworkMatchers)` in any
 * jest-compatible runner (`@groundwork/testing/vitest` does this for vitest).
 */
export const groundworkMatchers = {
  toHaveLogged,
  toHaveMetric,
  toHaveSpan,
  toHaveTraceTree,
};
