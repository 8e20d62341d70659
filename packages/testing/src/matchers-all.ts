import { toHaveLogged } from "./matchers";

/**
 * All Groundwork matchers, for `expect.extend(groundworkMatchers)` in any
 * jest-compatible runner (`@groundwork/testing/vitest` does this for vitest).
 */
export const groundworkMatchers = {
  toHaveLogged,
};
