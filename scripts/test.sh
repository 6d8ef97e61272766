#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs Node 24 and dependencies if missing,
# checks format, lint and types, then runs the unit tests and the integration tests against
# real Kafka and PostgreSQL, real SIP clients and Chromium (installed from Debian if missing) (started here unless KAFKA_BROKERS / DATABASE_URL name existing ones).
#
#   scripts/test.sh               everything
#   scripts/test.sh --unit-only   checks and unit tests, no infrastructure
#
# After the integration tests, the chaos soak (test/chaos, CI-sized; CHAOS_SEED replays a run), then
# the Kubernetes smoke test (scripts/k8s-smoke.sh: the image built, the
# chart installed into a throw-away one-node cluster and checked); its Kubernetes build starts in the
# background at once when not cached, so that it overlaps the tests.
#
# The last line is the total over the jest projects: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=false
case "${1:-}" in
  --unit-only) unit_only=true ;;
  '') ;;
  *)
    echo "usage: scripts/test.sh [--unit-only]" >&2
    exit 2
    ;;
esac

source scripts/ensure-node.sh
# Installs exactly the lock file (`npm ci`) unless node_modules is already newer than it. The lock
# lists every platform's optional binaries, which `npm ci` requires: hence @swc/core pinned to 1.16.18
# and the override unrs-resolver 1.12.2, the newest whose binaries the registry has for every platform.
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
  npm ci --no-audit --no-fund </dev/null
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx eslint .
npx tsc -p tsconfig.json --noEmit
bash scripts/check-build-has-no-test-code.sh
npx tsc -p apps/web/tsconfig.json # the web app: DOM types, its own settings

results_dir="$(mktemp -d /tmp/herald-test-results-XXXXXX)"
k8s_build_pid=''
if [ "$unit_only" = false ]; then
  # Cold: 10-15 min of niced Go compilation, cached by version for later runs (~/.cache/herald-k8s).
  # Its own process group, so that an early exit stops the compilers too.
  setsid bash scripts/k8s/build-k8s.sh >"$results_dir/build-k8s.log" 2>&1 &
  k8s_build_pid=$!
fi
kafka_state=''
postgres_state=''
stop_infrastructure() {
  if [ -n "$kafka_state" ]; then
    bash scripts/kafka.sh stop "$kafka_state" || echo "test.sh: stopping Kafka failed" >&2
    kafka_state=''
  fi
  if [ -n "$postgres_state" ]; then
    bash scripts/postgres.sh stop "$postgres_state" || echo "test.sh: stopping PostgreSQL failed" >&2
    postgres_state=''
  fi
}
trap 'stop_infrastructure; [ -z "$k8s_build_pid" ] || kill -- "-$k8s_build_pid" 2>/dev/null; rm -rf "$results_dir"' EXIT

# Prints the totals of the jest runs so far as the closing line, and exits with $1.
finish() {
  node -e '
    const fs = require("node:fs");
    let passed = 0, failed = 0;
    for (const file of process.argv.slice(1)) {
      if (!fs.existsSync(file)) continue;
      const run = JSON.parse(fs.readFileSync(file, "utf8"));
      passed += run.numPassedTests;
      // A suite that fails to load has no failed test; count it so the line never hides it.
      failed += run.numFailedTests + run.numRuntimeErrorTestSuites;
    }
    console.log(`tests: ${passed} passed, ${failed} failed`);
  ' "$results_dir/unit.json" "$results_dir/integration.json" "$results_dir/chaos.json"
  exit "$1"
}

# The Helm chart: lint, render, offline schema validation, chart unit tests (deploy/helm/herald).
bash scripts/check-chart.sh

jest_status=0
npx jest --selectProjects unit --json --outputFile="$results_dir/unit.json" || jest_status=$?
if [ "$jest_status" -ne 0 ] || [ "$unit_only" = true ]; then
  finish "$jest_status"
fi

# The real SIP clients of the interop tests (test/interop) and the web app test's Chromium
# (test/web): a missing one fails here with its package's name, never skips.
bash scripts/ensure-test-programs.sh

if [ -z "${KAFKA_BROKERS:-}" ]; then
  bash scripts/kafka.sh fetch
  kafka_state="$(mktemp -d /tmp/herald-kafka-XXXXXX)"
  KAFKA_BROKERS="$(bash scripts/kafka.sh start "$kafka_state")"
  echo "test.sh: started Apache Kafka (KRaft, single node) at $KAFKA_BROKERS"
else
  echo "test.sh: using the Kafka at KAFKA_BROKERS=$KAFKA_BROKERS"
fi
if [ -z "${DATABASE_URL:-}" ]; then
  postgres_state="$(mktemp -d /tmp/herald-pg-XXXXXX)"
  DATABASE_URL="$(bash scripts/postgres.sh start "$postgres_state")"
  echo "test.sh: started PostgreSQL at $DATABASE_URL"
else
  echo "test.sh: using the PostgreSQL at DATABASE_URL"
fi
export KAFKA_BROKERS DATABASE_URL

# The OpenTelemetry OTLP exporters load their HTTP agent with a dynamic import(), which jest's
# module sandbox only allows with this flag (the apps themselves run without it).
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules" \
  npx jest --selectProjects integration --runInBand --testTimeout=120000 --json --outputFile="$results_dir/integration.json" ||
  jest_status=$?
stop_infrastructure
# The chaos soak (test/chaos, docs/reliability.md), CI-sized: 75 s of load with faults on its own
# Kafka and PostgreSQL, about 5 minutes in all. It prints its seed (CHAOS_SEED=<seed> replays the
# faults) and every violation with the messages involved. --forceExit: a failed soak can leave a
# client socket of a killed edge open, and CI must then fail, not wait on it.
if [ "$jest_status" -eq 0 ]; then
  NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules" \
    npx jest --selectProjects chaos --runInBand --forceExit --json --outputFile="$results_dir/chaos.json" ||
    jest_status=$?
fi
if [ "$jest_status" -eq 0 ]; then
  wait "$k8s_build_pid" || { cat "$results_dir/build-k8s.log" >&2; finish 1; }
  k8s_build_pid=''
  bash scripts/k8s-smoke.sh || jest_status=$?
fi
finish "$jest_status"
