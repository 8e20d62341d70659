// Registers Groundwork's matchers with vitest: `import "@groundwork/testing/vitest"`
// in a test file or in `setupFiles`.
import { expect } from "vitest";
import { groundworkMatchers } from "./matchers-all";
import type { TraceShape } from "./traces/shape";

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
    /** The capture holds a finished span with this name (or matching RegExp) and these attributes (a subset). */
    toHaveSpan(name: string | RegExp, attributes?: Record<string, unknown>): T;
    /**
     * The registry has a sample with this name (exposed sample or family name),
     * these labels (a subset) and, if given, this value.
     */
    toHaveMetric(
      name: string,
      labels?: Record<string, string | number | boolean>,
      value?: number,
    ): T;
    /** The captured traces have exactly this shape: names, nesting and start order. */
    toHaveTraceTree(expected: TraceShape | readonly TraceShape[]): T;
  }
}
