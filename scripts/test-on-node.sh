#!/usr/bin/env bash
# Runs the Node test projects (unit and integration; not workerd, not docs) on another
# major version of Node, taken from the `node` package of the npm registry, against the
# packages as built by `pnpm build`:
#   bash scripts/test-on-node.sh 24
set -euo pipefail
major="${1:?usage: test-on-node.sh <Node major version>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# `npx -p node@24 node` puts that Node first on the PATH of what it runs; vitest then
# runs its test workers with it as well (they are started with process.execPath).
version="$(npx -y -p "node@$major" node --version)"
case "$version" in
  "v$major".*) ;;
  *) echo "expected Node $major from the npm registry, got $version" >&2; exit 1 ;;
esac

# The packages whose code runs on Node, and the main example (a service run as a child
# process). The Workers, browser and test-harness projects exercise workerd, Chromium and
# the servers they start more than Node, and the other examples Wrangler and Chromium.
names=(core metrics node platform ratelimit settings testing example-orders-service)
projects=()
for name in "${names[@]}"; do projects+=(--project "$name"); done
echo "Testing on Node $version: ${names[*]}"
npx -y -p "node@$major" node node_modules/vitest/vitest.mjs run "${projects[@]}"
