// Fails early, with the reason, when Node is older than the `engines.node` range of the
// root package.json (pnpm only warns). Ranges are `>=X[.Y[.Z]]`, the form we publish.
import { readFileSync } from "node:fs";

const range = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).engines
  ?.node;
const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range ?? "");
if (!match) {
  console.error(`package.json engines.node is "${range}"; expected a ">=X.Y" range`);
  process.exit(1);
}
const parts = (version) => version.split(".").map((n) => Number.parseInt(n, 10) || 0);
const need = match.slice(1).map((n) => Number.parseInt(n ?? "0", 10));
const have = parts(process.versions.node);
for (let i = 0; i < 3; i++) {
  if ((have[i] ?? 0) > (need[i] ?? 0)) break;
  if ((have[i] ?? 0) < (need[i] ?? 0)) {
    console.error(
      `Node ${process.versions.node} is too old: Groundwork needs Node ${range} (see .nvmrc).`,
    );
    process.exit(1);
  }
}
