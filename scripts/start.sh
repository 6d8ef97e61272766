#!/usr/bin/env bash
# `npm start`: the embedded default (apps/herald) on 127.0.0.1 with an embedded PostgreSQL and demo
# accounts, see docs/architecture.md "Embedded default". Ensures Node 24 and the dependencies,
# builds, then replaces this shell with Herald (so Ctrl-C / SIGTERM reach it and it shuts down cleanly).
# Data lives in .herald/ (HERALD_DATA_DIR); as root PostgreSQL runs as the system user `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
# Installs exactly the lock file (`npm ci`) unless node_modules is already newer than it.
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
  npm ci --no-audit --no-fund </dev/null
npx tsc -p tsconfig.build.json
node scripts/build-web.mjs
# As root PostgreSQL runs as the user `postgres`, which must be able to enter the data directory:
# a checkout below /root (mode 700) cannot hold it, so the data then goes to /var/lib/herald.
if [ -z "${HERALD_DATA_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && ! runuser -u nobody -- test -x "$PWD"; then
  export HERALD_DATA_DIR=/var/lib/herald
  echo "start.sh: the checkout is not reachable by the postgres user; data in $HERALD_DATA_DIR" >&2
fi
exec node dist/apps/herald/src/main.js
