import { z } from "zod";
import { kindMeta } from "./kinds";

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};
const SIZE = /^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/**
 * Parses a size such as `"10MiB"` or `"1.5GB"` into bytes.
 *
 * @param text - a number and a unit: `B`, `KB`/`MB`/`GB`/`TB` (powers of 1000) or `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024)
 * @returns whole bytes, or `undefined` when the text is not a size or not a whole number of bytes
 * @example
 * ```ts
 * parseByteSize("10MiB"); // 10485760
 * ```
 */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[match[2]!]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Renders bytes with the largest unit that divides them exactly (binary units first).
 *
 * @param bytes - a non-negative whole number of bytes
 * @returns text such as `"10MiB"`, `"5MB"` or `"1234B"`
 * @example
 * ```ts
 * formatByteSize(1024 * 1024); // "1MiB"
 * ```
 */
export function formatByteSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return `${bytes}B`;
  for (const unit of ["TiB", "GiB", "MiB", "KiB", "TB", "GB", "MB", "KB"]) {
    const size = UNITS[unit]!;
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * A size setting: accepts `"512KiB"`, `"10MiB"`, `"1GB"` or a number of bytes and
 * yields whole bytes. Generated YAML shows defaults as text (`max_body: 10MiB`).
 *
 * @returns a zod schema whose output is a number of bytes
 * @example
 * ```ts
 * const schema = z.object({ max_body: byteSize().default(10 * 1024 * 1024) });
 * ```
 */
export function byteSize() {
  return z
    .union([z.string().regex(SIZE), z.number().int().nonnegative()])
    .transform((value, ctx) => {
      if (typeof value === "number") return value;
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        ctx.issues.push({ code: "custom", message: `invalid size "${value}"`, input: value });
        return z.NEVER;
      }
      return bytes;
    })
    .meta(kindMeta("byte-size"));
}
