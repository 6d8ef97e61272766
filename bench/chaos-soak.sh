#!/usr/bin/env bash
# The long chaos soak (issue 14): test/chaos/chaos.soak.ts with a longer load, its figures printed
# as the table of docs/reliability.md. It starts its own Kafka and PostgreSQL; packets stay on
# 127.0.0.1.
#   bench/chaos-soak.sh                 600 s of load, a random seed
#   CHAOS_LOAD_SECONDS=1800 CHAOS_SEED=42 bench/chaos-soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
bash scripts/kafka.sh fetch
report="$(mktemp /tmp/herald-chaos-report-XXXXXX.json)"
export CHAOS_LOAD_SECONDS="${CHAOS_LOAD_SECONDS:-600}" CHAOS_REPORT="$report"
status=0
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules" \
  npx jest --selectProjects chaos --runInBand || status=$?
npx tsc -p tsconfig.build.json
node dist/bench/chaos-report.js "$report"
exit "$status"
