#!/usr/bin/env bash
# SIPp step search against one running target: MD5-digest REGISTERs per second and relayed IMs
# per second, each the highest rate with zero failed calls over BENCH_STEP_SECONDS, with p50/p99.
#   bench/sip-rate.sh herald-embedded|herald-kafka|kamailio UDP_PORT [register|im|both]
# Herald: REGISTER goes through bench/md5-challenge-relay (SIPp 3.6 can only answer the first
# challenge, and Herald offers SHA-256 first); IMs go straight to Herald as INFO im.send from a flow
# that bench/login-device registered and logged in. Kamailio: the same REGISTER scenario; IMs are
# MESSAGEs relayed statefully to a registered SIPp UAS.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/sipp.sh"
SIDE="${1:?side: herald-embedded|herald-kafka|kamailio}"
PORT="${2:?the target UDP port}"
WHAT="${3:-both}"
RUN_DIR="$BENCH_WORK/sipp-$SIDE"
USER_COUNT="${BENCH_USERS:-5000}"
# First rates of the search (then doubled while the runs pass).
REGISTER_START_RATE="${REGISTER_START_RATE:-100}"
IM_START_RATE="${IM_START_RATE:-50}"
# IM users come after the REGISTER users: those collect many contacts during the REGISTER search.
SENDER="$(printf 'u%06d' $((USER_COUNT + 1)))"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
write_users_csv "$RUN_DIR/users.csv" "$USER_COUNT"
RELAY_PID=""
trap 'stop_pid "$RELAY_PID"' EXIT

register_target="127.0.0.1:$PORT"
if [ "$SIDE" != kamailio ]; then
  relay_port="$(free_udp_port)"
  RELAY_PID="$(start_ready "$RUN_DIR/relay.log" 20 node "$HERALD_ROOT/dist/bench/md5-challenge-relay.js" \
    --listen "$relay_port" --target "$PORT")"
  register_target="127.0.0.1:$relay_port"
fi

probe_register() {
  local rate="$1" calls=$(($1 * BENCH_STEP_SECONDS))
  local ok failed p50 p99 achieved
  read -r ok failed p50 p99 achieved < <(run_uac "$RUN_DIR/register-$(next_step "$RUN_DIR")" \
    "$register_target" "$rate" "$calls" register.xml -inf "$RUN_DIR/users.csv" -t un -max_socket 10000)
  echo "$(step_verdict "$rate" "$calls" "$ok" "$failed" "$achieved") $p50 $p99" \
    "ok=$ok/$calls,failed=$failed,achieved=$achieved/s"
}

# A new recipient per step, so pushes still retransmitted from an earlier step cannot count.
prepare_recipient() {
  local user="$1" port="$2"
  if [ "$SIDE" = kamailio ]; then
    printf 'SEQUENTIAL\n%s;[authentication username=%s password=pw-%s]\n' "$user" "$user" "$user" \
      >"$RUN_DIR/recipient.csv"
    (cd "$RUN_DIR" && timeout 20 sipp "127.0.0.1:$PORT" -sf "$SIPP_DIR/register.xml" -key domain "$BENCH_DOMAIN" \
      -inf recipient.csv -p "$port" -i 127.0.0.1 -t u1 -m 1 -nostdin >/dev/null 2>&1)
  else
    node "$HERALD_ROOT/dist/bench/login-device.js" --server "$PORT" --user "$user" --local-port "$port" >&2
  fi
}

probe_im() {
  local rate="$1" calls=$(($1 * BENCH_STEP_SECONDS))
  local step recipient recipient_port
  step="$(next_step "$RUN_DIR")"
  local dir="$RUN_DIR/im-$step"
  recipient="$(printf 'u%06d' $((USER_COUNT + 10 + step)))"
  recipient_port="$(free_udp_port)"
  mkdir -p "$dir"
  prepare_recipient "$recipient" "$recipient_port"
  local uas_pid uas_scenario=uas-info.xml
  [ "$SIDE" = kamailio ] && uas_scenario=uas-message.xml
  uas_pid="$(start_uas "$dir/uas" "$recipient_port" "$uas_scenario" "$calls")"
  sleep 0.5
  local ok failed p50 p99 achieved
  if [ "$SIDE" = kamailio ]; then
    read -r ok failed p50 p99 achieved < <(run_uac "$dir/uac" "127.0.0.1:$PORT" "$rate" "$calls" message.xml \
      -key from "$SENDER" -key to "$recipient" -p "$SENDER_PORT" -t u1)
  else
    read -r ok failed p50 p99 achieved < <(run_uac "$dir/uac" "127.0.0.1:$PORT" "$rate" "$calls" im-send.xml \
      -oocsf "$SIPP_DIR/ooc-answer.xml" -key from "$SENDER" -key to "$recipient" -p "$SENDER_PORT" -t u1)
  fi
  local delivered
  delivered="$(finish_uas "$dir/uas" "$uas_pid")"
  echo "$(step_verdict "$rate" "$calls" "$ok" "$failed" "$achieved" "$delivered") $p50 $p99" \
    "ok=$ok/$calls,failed=$failed,delivered=$delivered,achieved=$achieved/s"
}

report() {
  local kind="$1" result="$2"
  local best p50 p99 runs
  read -r best p50 p99 runs <<<"$result"
  record_result sip-rate "$kind per second" "$SIDE" "$best" "/s" "steps of ${BENCH_STEP_SECONDS}s: $runs"
  record_result sip-rate "$kind p50 at that rate" "$SIDE" "$p50" ms
  record_result sip-rate "$kind p99 at that rate" "$SIDE" "$p99" ms
}

if [ "$WHAT" != im ]; then
  bench_log "$SIDE: REGISTER step search from $REGISTER_START_RATE/s"
  report "REGISTER (MD5 digest)" "$(step_search probe_register "$REGISTER_START_RATE")"
fi
if [ "$WHAT" != register ]; then
  SENDER_PORT="$(free_udp_port)"
  [ "$SIDE" = kamailio ] || prepare_recipient "$SENDER" "$SENDER_PORT"
  bench_log "$SIDE: IM step search from $IM_START_RATE/s"
  report "IM relayed (sender 200 OK + recipient answered)" "$(step_search probe_im "$IM_START_RATE")"
fi
