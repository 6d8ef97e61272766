#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs Node 24 and dependencies if missing,
# checks format, lint and types, then runs the unit tests and the integration tests against
# real Kafka and PostgreSQL (started here unless KAFKA_BROKERS / DATABASE_URL name existing ones).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx eslint .
npx tsc -p tsconfig.json --noEmit
npx jest --selectProjects unit
