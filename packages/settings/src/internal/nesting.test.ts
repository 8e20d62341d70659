import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { exceedsNesting } from "./nesting";

/** Depth of the deepest node, counted as the loader's precise check counts it (the root is 0). */
function depthOf(value: unknown, depth = 0): number {
  let deepest = depth;
  const children = Array.isArray(value)
    ? value
    : value !== null && typeof value === "object"
      ? Object.values(value)
      : [];
  for (const child of children) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
}

const nested = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "large", maxDepth: 30 },
    fc.constantFrom(1, "x", "[not a list]", "{ nor: a map }", null),
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "c-d"), tie("node"), { maxKeys: 3 }),
  ),
})).node;

describe("exceedsNesting", () => {
  it("counts flow, block and compact nesting without parsing", () => {
    const limit = 9;
    const flow = (k: number) => `a: ${"[".repeat(k)}${"]".repeat(k)}\n`;
    const maps = (k: number) =>
      `${Array.from({ length: k }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n")} 1\n`;
    const dashes = (k: number) => `a:\n  ${"- ".repeat(k)}x\n`;
    expect(exceedsNesting(flow(limit - 1), limit)).toBeUndefined();
    expect(exceedsNesting(flow(limit), limit)).toEqual({ offset: 3 + limit - 1 });
    expect(exceedsNesting(maps(limit), limit)).toBeUndefined();
    expect(exceedsNesting(maps(limit + 1), limit)).toBeDefined();
    expect(exceedsNesting(dashes(limit - 1), limit)).toBeUndefined();
    expect(exceedsNesting(dashes(limit + 1), limit)).toBeDefined();
  });

  it("ignores brackets in quoted scalars, comments and block scalars", () => {
    const text = `a: "${"[".repeat(50)}"\nb: '${"{".repeat(50)}' # ${"[".repeat(50)}\nc: |\n  ${"[".repeat(50)}\n`;
    expect(exceedsNesting(text, 3)).toBeUndefined();
  });

  it("is linear: 200,000 levels are refused at the limit", () => {
    expect(exceedsNesting(`a: ${"[".repeat(200_000)}`, 64)).toEqual({ offset: 3 + 64 - 1 });
    expect(exceedsNesting(`a:\n  ${"- ".repeat(200_000)}x`, 64)).toBeDefined();
  });

  it("never refuses what the precise check accepts, and bounds the real depth", () => {
    fc.assert(
      fc.property(nested, fc.boolean(), (value, flowStyle) => {
        const text = stringify({ root: value }, flowStyle ? { collectionStyle: "flow" } : {});
        const depth = depthOf(parse(text));
        for (const maxDepth of [2, 4, 8]) {
          const refused = exceedsNesting(text, maxDepth + 1) !== undefined;
          if (refused) expect(depth, text).toBeGreaterThan(maxDepth);
          if (depth > 2 * (maxDepth + 2)) expect(refused, text).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
