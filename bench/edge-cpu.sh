#!/usr/bin/env bash
# CPU of the SIP edge alone per operation, with its CPU profile (issue 10, bench/README.md "Edge
# hot path"): runs dist/bench/capacity-edge.js under node --cpu-prof (a bus that decides every
# REGISTER 200 and answers every im.send with its result, im and im.status pushes to the sender),
# loads it with SIPp at a fixed rate, and prints the edge's CPU time (/proc utime + stime) per
# operation over the loaded seconds, then the busiest functions of the profile.
#   bench/edge-cpu.sh register|im [RATE] [SECONDS]
# EDGE_CPU_PROFILE=0 runs the edge without --cpu-prof (the profiler's sampling costs CPU too).
# register: MD5-digest REGISTERs of distinct users (401 + 200 each; the edge offers MD5 first);
# im: one registered user sends INFO im.send at RATE; its SIPp answers the three pushes per IM.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
source bench/lib/common.sh
source bench/lib/sipp.sh
WHAT="${1:?register|im}"
RATE="${2:-300}"
DURATION="${3:-20}"
WORK="$BENCH_WORK-edge-cpu-$WHAT"
EDGE_PID=""
trap 'stop_pid "$EDGE_PID"' EXIT
rm -rf "$WORK"
mkdir -p "$WORK/profiles"
CALLS=$((RATE * DURATION))

PROFILE_ARGS=(--cpu-prof --cpu-prof-dir "$WORK/profiles")
[ "${EDGE_CPU_PROFILE:-1}" = 0 ] && PROFILE_ARGS=()
EDGE_PID="$(start_ready "$WORK/edge.log" 60 node "${PROFILE_ARGS[@]}" dist/bench/capacity-edge.js --state "$WORK/state.json")"
EDGE_PORT="$(node -p "require('$WORK/state.json').udp.port")"

# utime + stime of the edge process, in clock ticks.
edge_ticks() { awk '{print $14 + $15}' "/proc/$EDGE_PID/stat"; }

sipp_run() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  (cd "$dir" && timeout $((DURATION + 60)) sipp "127.0.0.1:$EDGE_PORT" -key domain "$BENCH_DOMAIN" -i 127.0.0.1 \
    -nostdin -trace_stat -stf stat.csv "$@" >sipp.out 2>&1) || true
  sipp_counts "$dir/stat.csv"
}

case "$WHAT" in
  register)
    write_users_csv "$WORK/users.csv" "$CALLS"
    before="$(edge_ticks)"
    read -r ok failed < <(sipp_run "$WORK/register" -sf "$SIPP_DIR/register.xml" -inf "$WORK/users.csv" \
      -t un -max_socket 10000 -r "$RATE" -m "$CALLS")
    operations="$ok REGISTER pairs (401 + 200)"
    ;;
  im)
    user=u000001
    port="$(free_udp_port)"
    printf 'SEQUENTIAL\n%s;[authentication username=%s password=pw-%s]\n' "$user" "$user" "$user" >"$WORK/user.csv"
    read -r registered _ < <(sipp_run "$WORK/register" -sf "$SIPP_DIR/register.xml" -inf "$WORK/user.csv" \
      -p "$port" -t u1 -m 1)
    [ "$registered" -eq 1 ] || { bench_log "the IM sender did not register (see $WORK/register)"; exit 1; }
    before="$(edge_ticks)"
    # The same port: its socket is the registered flow, where the pushes arrive.
    read -r ok failed < <(sipp_run "$WORK/im" -sf "$SIPP_DIR/im-send.xml" -oocsf "$SIPP_DIR/ooc-answer.xml" \
      -key from "$user" -key to u000002 -p "$port" -t u1 -r "$RATE" -m "$CALLS")
    operations="$ok IMs (INFO + 200, three pushes + their 200s and outcomes)"
    ;;
  *)
    echo "register|im" >&2
    exit 2
    ;;
esac
ticks=$(($(edge_ticks) - before))
hz="$(getconf CLK_TCK)"
echo "edge CPU: $((ticks * 1000 / hz)) ms for $operations, $failed failed, at $RATE/s for ${DURATION}s" \
  "(load $(load_average), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
awk -v t="$ticks" -v hz="$hz" -v n="$ok" 'BEGIN {if (n > 0) printf "edge CPU per operation: %.3f ms\n", t * 1000 / hz / n}'
stop_pid "$EDGE_PID"
EDGE_PID=""
[ "${EDGE_CPU_PROFILE:-1}" = 0 ] || node dist/bench/cpu-profile-top.js "$WORK/profiles"
