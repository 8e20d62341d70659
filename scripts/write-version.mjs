// Writes src/version.ts of the package in the working directory from its package.json, so
// that the built code carries its version without reading package.json at run time.
import { readFileSync, writeFileSync } from "node:fs";

const { name, version } = JSON.parse(readFileSync("package.json", "utf8"));
const text = `// Generated from package.json by scripts/write-version.mjs when the package is built.
/** The version of ${name}, sent as the instrumentation scope version of its spans. */
export const VERSION = ${JSON.stringify(version)};
`;
let current = "";
try {
  current = readFileSync("src/version.ts", "utf8");
} catch {}
if (current !== text) writeFileSync("src/version.ts", text);
