// Runs every bench/*.bench.ts (or those named on the command line, e.g.
// `pnpm bench logging metrics`) one after another, each in its own process so
// one library's JIT state does not bleed into another's figures. The packages
// are imported as users get them, from their built `dist/` (the `bench` script
// builds first), not from the TypeScript sources.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();
if (files.length === 0) {
  console.error(`no benchmarks matched ${wanted.join(", ")}`);
  process.exit(1);
}
let failed = false;
for (const file of files) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, file)], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
