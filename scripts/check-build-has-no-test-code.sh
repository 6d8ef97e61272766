#!/usr/bin/env bash
# Fails when `npm run build` would compile test code into dist: a unit spec, a `testing/` fake or
# anything under test/, whether included by tsconfig.build.json or imported by production code.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
root="$(pwd)/"
test_code="$(npx tsc -p tsconfig.build.json --listFilesOnly |
  grep -v '/node_modules/' |
  sed "s#^$root##" |
  grep -E '\.spec\.ts$|(^|/)testing/|^test/' || true)"
if [ -n "$test_code" ]; then
  echo "check-build-has-no-test-code: the build compiles test code into dist:" >&2
  echo "$test_code" >&2
  exit 1
fi
