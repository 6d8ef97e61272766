# Shared shell helpers of the benchmarks (sourced by bench/*.sh).
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPP_DIR="$HERALD_ROOT/bench/sipp"
BENCH_DOMAIN=herald.local
# Work files (sipp traces, Herald data, Kafka, PostgreSQL) live here, outside the repo.
BENCH_WORK="${BENCH_WORK:-/tmp/herald-bench}"
# One JSON object per figure; bench/write-report.ts turns them into docs/benchmarks.md.
BENCH_RESULTS="${BENCH_RESULTS:-$BENCH_WORK/results.jsonl}"
# The issue asks for at least 20 s per rate step.
BENCH_STEP_SECONDS="${BENCH_STEP_SECONDS:-20}"

bench_log() { echo "bench: $*" >&2; }

# Instructions callgrind counts in one run of a Node program. --single-threaded: no concurrent
# compiler or GC threads, whose work would vary run to run; --smc-check: V8 writes machine code to
# the heap and valgrind must notice it. Args: script [args...]
callgrind_instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --smc-check=all-non-file \
    node --single-threaded "$@" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# Appends one figure. Args: section name side value unit [detail]
record_result() {
  local section="$1" name="$2" side="$3" value="$4" unit="$5" detail="${6:-}"
  printf '{"section":"%s","name":"%s","side":"%s","value":"%s","unit":"%s","detail":"%s","load":"%s","at":"%s"}\n' \
    "$section" "$name" "$side" "$value" "$unit" "${detail//\"/\'}" "$(load_average)" "$(date -u +%FT%TZ)" \
    >>"$BENCH_RESULTS"
  echo "RESULT $section | $name | $side: $value $unit ${detail:+($detail)}"
}

# From kamailio-postgres-modules (with db_postgres.so): the durable Kamailio of bench/cpu-per-op.ts
# creates its location table from this file (bench/lib/kamailio.ts).
KAMAILIO_USRLOC_SCHEMA=/usr/share/kamailio/postgres/usrloc-create.sql

# SIPp and Kamailio (with its PostgreSQL modules) from Debian when missing (needs root and apt-get).
ensure_sip_tools() {
  command -v sipp >/dev/null && command -v kamailio >/dev/null && [ -f "$KAMAILIO_USRLOC_SCHEMA" ] && return 0
  bench_log "installing sip-tester, kamailio and kamailio-postgres-modules with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester kamailio kamailio-postgres-modules >&2
}

# A UDP port nobody uses right now on 127.0.0.1, below the kernel's ephemeral range: a SIPp
# sender's port is free between steps, and a port the kernel hands out (another process's socket,
# the next free_udp_port) must not take it meanwhile ("Unable to bind main socket").
free_udp_port() {
  node -e '
    const dgram = require("dgram");
    const range = require("fs").readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const [first, last] = range.trim().split(/\s+/).map(Number);
    // Below the ephemeral range when there is room (at least 1024 ports above 10000), else above it.
    const [low, high] = first - 10000 >= 1024 ? [10000, first] : [last + 1, 65536];
    const attempt = (left) => {
      const port = low + Math.floor(Math.random() * (high - low));
      const socket = dgram.createSocket("udp4");
      socket.once("error", () => {
        socket.close();
        if (left > 0) attempt(left - 1);
        else process.exit(1);
      });
      socket.bind(port, "127.0.0.1", () => {
        console.log(port);
        socket.close();
      });
    };
    attempt(100);'
}

# A TCP port nobody listens on right now on 127.0.0.1.
free_tcp_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# users.csv for sipp: user;[authentication username=U password=P] for u000001..N.
write_users_csv() {
  local file="$1" count="$2"
  {
    echo SEQUENTIAL
    for ((i = 1; i <= count; i++)); do
      local user
      user="$(printf 'u%06d' "$i")"
      echo "$user;[authentication username=$user password=pw-$user]"
    done
  } >"$file"
}

# Starts a Node program in the background and waits for "<tag>: ready" on its stdout. Echoes its pid.
start_ready() {
  local log="$1" timeout_s="$2"
  shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + timeout_s))
  until grep -q ': ready' "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      bench_log "$* did not become ready; its log:"
      tail -n 30 "$log" >&2
      kill "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
  echo "$pid"
}

# SIGTERM to one process started here, waiting for its exit.
stop_pid() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.3; done
  kill -9 "$pid" 2>/dev/null || true
}
