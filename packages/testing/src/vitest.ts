// Registers Groundwork's matchers with vitest: `import "@groundwork/testing/vitest"`
// in a test file or in `setupFiles`.
import { expect } from "vitest";
import { groundworkMatchers } from "./matchers-all";

expect.extend(groundworkMatchers);

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration of Matchers.
  interface Matchers<T = any> {
    /**
     * The capture holds a matching log record: `(msg)`, `(msg, fields)`,
     * `(level, msg)` or `(level, msg, fields)`; msg may be a RegExp and fields
     * a subset.
     */
    toHaveLogged(...args: [unknown, unknown?, unknown?]): T;
  }
}
