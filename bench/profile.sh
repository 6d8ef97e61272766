#!/usr/bin/env bash
# CPU profile of Herald under IM load, for the "remaining limits" of docs/benchmarks.md:
# starts Herald with node --cpu-prof, runs bench/im-latency at a fixed rate, stops Herald (the
# profiles are written at exit) and prints the busiest functions of each process.
#   bench/profile.sh embedded|kafka [IM_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
source bench/lib/common.sh
MODE="${1:?embedded|kafka}"
RATE="${2:-40}"
WORK="$BENCH_WORK-profile-$MODE"
SERVE_PID=""
cleanup() {
  stop_pid "$SERVE_PID"
  if [ "$MODE" = kafka ]; then
    scripts/kafka.sh stop "$WORK/kafka" || true
    scripts/postgres.sh stop "$WORK/postgres" || true
  fi
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/profiles"
if [ "$MODE" = kafka ]; then
  KAFKA_BROKERS="$(scripts/kafka.sh start "$WORK/kafka")"
  DATABASE_URL="$(scripts/postgres.sh start "$WORK/postgres")"
  export KAFKA_BROKERS DATABASE_URL
fi
SERVE_PID="$(start_ready "$WORK/serve.log" 400 node dist/bench/serve-herald.js --mode "$MODE" --accounts 200 \
  --state "$WORK/state.json" --data-dir "$WORK/data" --pg-port "$(free_tcp_port)" --cpu-prof-dir "$WORK/profiles")"
# im-latency records its figures; they go to a separate file so they do not mix with a run's.
BENCH_RESULTS="$WORK/results.jsonl" BENCH_LATENCY_SECONDS=20 timeout 300 node dist/bench/im-latency.js \
  --state "$WORK/state.json" --mode "$MODE" --users 0 --max-rate "$((RATE * 2))"
stop_pid "$SERVE_PID"
SERVE_PID=""
node dist/bench/cpu-profile-top.js "$WORK/profiles"
