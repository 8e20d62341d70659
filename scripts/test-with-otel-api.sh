#!/usr/bin/env bash
# Runs the Node test projects (unit and integration; not workerd, not docs) against
# another @opentelemetry/api version, forced with a pnpm override in a scratch copy of
# the repository, so the working tree and its node_modules stay as they are.
#   bash scripts/test-with-otel-api.sh 1.10.0
set -euo pipefail
version="${1:?usage: test-with-otel-api.sh <@opentelemetry/api version>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
PNPM="${PNPM:-npx -y pnpm@10.34.8}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/groundwork-otel-api-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

cd "$root"
tar --exclude=./node_modules --exclude='./*/*/node_modules' --exclude=./.git \
  --exclude='./*/*/dist' -cf - . | tar -xf - -C "$scratch"
cd "$scratch"
node -e '
  const fs = require("node:fs");
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.pnpm = { ...pkg.pnpm, overrides: { ...pkg.pnpm?.overrides, "@opentelemetry/api": process.argv[1] } };
  fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$version"
$PNPM install --no-frozen-lockfile --prefer-offline --reporter=silent

# The pass is only worth something if the override took effect everywhere.
found="$(find . -path '*/node_modules/@opentelemetry/api/package.json' -exec node -p 'require(process.argv[1]).version' {} \; | sort -u)"
if [ "$found" != "$version" ]; then
  echo "expected only @opentelemetry/api $version in the scratch install, found: $found" >&2
  exit 1
fi

# Some tests read built files (the tracker's drop-in script, the settings CLI binary).
$PNPM build > /dev/null

projects=()
for dir in packages/*/ examples/*/; do
  name="$(basename "$dir")"
  case "$dir" in examples/*) name="example-$name" ;; esac
  projects+=(--project "$name")
done
echo "Testing with @opentelemetry/api $version: ${projects[*]//--project /}"
npx vitest run "${projects[@]}"
