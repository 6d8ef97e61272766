#!/usr/bin/env bash
# `npm start`: the embedded default (apps/herald) on 127.0.0.1 with an embedded PostgreSQL and demo
# accounts, see docs/architecture.md "Embedded default". Ensures Node 24 and the dependencies,
# builds, then replaces this shell with Herald (so Ctrl-C / SIGTERM reach it and it shuts down cleanly).
# Data lives in .herald/ (HERALD_DATA_DIR); as root PostgreSQL runs as the system user `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
# `npm install` keeps the locked versions; `npm ci` refuses the lock's missing foreign optional binaries.
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
  npm install --no-audit --no-fund </dev/null
npx tsc -p tsconfig.build.json
exec node dist/apps/herald/src/main.js
