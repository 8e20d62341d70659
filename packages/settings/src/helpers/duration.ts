import { z } from "zod";
import { kindMeta } from "./kinds";

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration such as `"30s"`, `"1h30m"` or `"250ms"` into milliseconds.
 *
 * @param text - one or more `<number><unit>` parts; units `ms`, `s`, `m`, `h`, `d`
 * @returns milliseconds, or `undefined` when the text is not a duration
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNITS[match[2]!]!;
  return Number.isFinite(total) ? total : undefined;
}

/**
 * Renders milliseconds as the shortest duration text that parses back exactly.
 *
 * @param ms - a non-negative number of milliseconds
 * @returns text such as `"30s"` or `"1h30m"`
 * @example
 * ```ts
 * formatDuration(90_000); // "1m30s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return `${ms}ms`;
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNITS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

/**
 * A duration setting: accepts `"30s"`, `"5m"`, `"1h30m"`, `"250ms"` or a number
 * of milliseconds, and yields milliseconds. Generated YAML shows defaults as text
 * (`timeout: 30s`).
 *
 * @returns a zod schema whose output is a number of milliseconds
 * @example
 * ```ts
 * const schema = z.object({ timeout: duration().default(30_000).describe("Request timeout.") });
 * ```
 */
export function duration() {
  return z
    .union([z.string().regex(WHOLE), z.number().nonnegative()])
    .transform((value, ctx) => {
      if (typeof value === "number") return value;
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.issues.push({ code: "custom", message: `invalid duration "${value}"`, input: value });
        return z.NEVER;
      }
      return ms;
    })
    .meta(kindMeta("duration"));
}
