import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

// `pnpm test` builds before it tests; the budget applies to what is published.
const script = fileURLToPath(new URL("../dist/tracker.min.js", import.meta.url));

describe("dist/tracker.min.js", () => {
  it("exists (run the build first)", () => {
    expect(existsSync(script)).toBe(true);
  });

  it("is under 1 KB gzipped", () => {
    const bytes = readFileSync(script);
    const gzipped = gzipSync(bytes, { level: 9 }).byteLength;
    expect(gzipped).toBeGreaterThan(200);
    expect(gzipped).toBeLessThanOrEqual(1024);
  });

  it("is a self-contained IIFE reading its script tag", () => {
    const text = readFileSync(script, "utf8");
    expect(text).not.toMatch(/\bimport\b|\brequire\(/);
    expect(text).toContain("currentScript");
    expect(text).toContain("sendBeacon");
  });
});
