#!/usr/bin/env bash
# SIPp step search against one running target: MD5-digest REGISTERs per second and relayed IMs
# per second, each the highest rate with zero failed calls over BENCH_STEP_SECONDS, with p50/p99.
#   bench/sip-rate.sh herald-embedded|herald-kafka|kamailio UDP_PORT [register|im|pairs|all]
# im: one sender, one recipient (the issue's figure); pairs: BENCH_IM_PAIRS (8, at most 16)
# senders each sending to its own recipient at once, one SIPp UAC and one UAS per pair (the rate
# searched and reported is the total over all pairs).
# Herald sides set HERALD_STATE and HERALD_MODE (serve-herald's state file, embedded|kafka): every
# step then waits until Herald is idle (bench/lib/sipp.sh before_step).
# Herald (started with HERALD_DIGEST_ALGORITHMS=MD5,SHA-256: SIPp 3.6 answers only the first
# challenge and knows only MD5) takes SIPp's REGISTERs directly; IMs go as INFO im.send from a flow
# that bench/login-device registered and logged in. Kamailio: the same REGISTER scenario; IMs are
# MESSAGEs relayed statefully to a registered SIPp UAS.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/sipp.sh"
SIDE="${1:?side: herald-embedded|herald-kafka|kamailio}"
PORT="${2:?the target UDP port}"
WHAT="${3:-all}"
RUN_DIR="$BENCH_WORK/sipp-$SIDE-$WHAT"
USER_COUNT="${BENCH_USERS:-5000}"
# First rates of the search (then doubled while the runs pass); PAIRS_START_RATE is the total.
REGISTER_START_RATE="${REGISTER_START_RATE:-100}"
IM_START_RATE="${IM_START_RATE:-50}"
IM_PAIRS="${BENCH_IM_PAIRS:-8}"
PAIRS_START_RATE="${PAIRS_START_RATE:-$((IM_START_RATE * IM_PAIRS))}"
# IM users come after the REGISTER users: those collect many contacts during the REGISTER search.
SENDER="$(printf 'u%06d' $((USER_COUNT + 1)))"
# Pairs: senders from USER_COUNT+PAIRS_OFFSET, recipients (IM_PAIRS new ones per step) from
# USER_COUNT+PAIRS_OFFSET+100; below the capacity bench's users (bench/capacity.ts CAPACITY_OFFSET).
PAIRS_OFFSET=1300
DEVICE_REGISTER_ATTEMPTS=3
# More pushes than a sender can get per IM (result + im.status, each possibly retransmitted).
SENDER_PUSHES_PER_IM_BOUND=10
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
[ "$WHAT" = im ] || [ "$WHAT" = pairs ] || write_users_csv "$RUN_DIR/users.csv" "$USER_COUNT"
UAS_PIDS_FILE="$RUN_DIR/lingering-uas.pids"
trap stop_lingering_uas EXIT

probe_register() {
  local rate="$1" calls=$(($1 * BENCH_STEP_SECONDS))
  local ok failed p50 p99 achieved
  read -r ok failed p50 p99 achieved < <(run_uac "$RUN_DIR/register-$(next_step "$RUN_DIR")" \
    "127.0.0.1:$PORT" "$rate" "$calls" register.xml -inf "$RUN_DIR/users.csv" -t un -max_socket 10000)
  echo "$(step_verdict "$rate" "$calls" "$ok" "$failed" "$achieved") $p50 $p99" \
    "ok=$ok/$calls,failed=$failed,achieved=$achieved/s"
}

# Registers (Kamailio) or registers and logs in (Herald) users, each from its own port, so the
# SIPp process later bound to that port owns the flow. Args: "user ..." "port ..." (same length).
# Fails when one did not get its 200 OK (Kamailio: e.g. a registrar out of shared memory).
register_devices() {
  local users=($1) ports=($2) i
  if [ "$SIDE" = kamailio ]; then
    for i in "${!users[@]}"; do
      register_at_kamailio "${users[i]}" "${ports[i]}" || return 1
    done
  else
    local IFS=,
    node "$HERALD_ROOT/dist/bench/login-device.js" --server "$PORT" --user "${users[*]}" \
      --local-port "${ports[*]}" >&2
  fi
}

# One SIPp REGISTER of a user from a port; a failure is retried (a port taken meanwhile, a
# Kamailio child not reading yet), its output kept in $RUN_DIR/device-register.out.
register_at_kamailio() {
  local user="$1" port="$2" attempt
  printf 'SEQUENTIAL\n%s;[authentication username=%s password=pw-%s]\n' "$user" "$user" "$user" >"$RUN_DIR/device.csv"
  for ((attempt = 1; attempt <= DEVICE_REGISTER_ATTEMPTS; attempt++)); do
    if (cd "$RUN_DIR" && timeout 20 sipp "127.0.0.1:$PORT" -sf "$SIPP_DIR/register.xml" -key domain "$BENCH_DOMAIN" \
      -inf device.csv -p "$port" -i 127.0.0.1 -t u1 -m 1 -nostdin >>device-register.out 2>&1); then
      return 0
    fi
    bench_log "$user: REGISTER from port $port failed (attempt $attempt, see $RUN_DIR/device-register.out)"
    sleep 1
  done
  return 1
}

# One IM step with n pairs: pair i's sender (from $senders) sends per_pair IMs per second to its
# own recipient, all pairs at once. A new recipient per pair and step, so pushes still retransmitted
# from an earlier step cannot count. Args: per_pair_rate "sender ..." "sender port ..."
probe_pairs() {
  local per_pair="$1" senders=($2) sender_ports=($3)
  local pairs=${#senders[@]}
  local calls=$((per_pair * BENCH_STEP_SECONDS)) total_rate=$((per_pair * pairs))
  local step recipients=() recipient_ports=() i
  step="$(next_step "$RUN_DIR")"
  local dir="$RUN_DIR/im-$step"
  mkdir -p "$dir"
  for ((i = 0; i < pairs; i++)); do
    if [ "$pairs" -eq 1 ]; then
      recipients+=("$(printf 'u%06d' $((USER_COUNT + 10 + step)))")
    else
      recipients+=("$(printf 'u%06d' $((USER_COUNT + PAIRS_OFFSET + 100 + step * pairs + i)))")
    fi
    recipient_ports+=("$(free_udp_port)")
  done
  if ! register_devices "${recipients[*]}" "${recipient_ports[*]}"; then
    echo "fail - - ok=0/$((calls * pairs)),failed=$((calls * pairs)),recipient-registration-failed"
    return 0
  fi
  local uas_scenario=uas-info.xml uac_args=(im-send.xml -oocsf "$SIPP_DIR/ooc-answer.xml")
  if [ "$SIDE" = kamailio ]; then uas_scenario=uas-message.xml uac_args=(message.xml); fi
  local uas_pids=()
  for ((i = 0; i < pairs; i++)); do
    uas_pids+=("$(start_uas "$dir/uas-$i" "${recipient_ports[i]}" "$uas_scenario" "$calls")")
  done
  sleep 0.5
  local uac_pids=()
  for ((i = 0; i < pairs; i++)); do
    run_uac "$dir/uac-$i" "127.0.0.1:$PORT" "$per_pair" "$calls" "${uac_args[@]}" \
      -key from "${senders[i]}" -key to "${recipients[i]}" -p "${sender_ports[i]}" -t u1 >"$dir/uac-$i.result" &
    uac_pids+=($!)
  done
  wait "${uac_pids[@]}"
  # Herald's result and im.status pushes to a sender may trail its last 200 OK: answered until the
  # next step's idle wait, they do not wait for Timer F there (finish_uas does the same for recipients).
  if [ "$SIDE" != kamailio ]; then
    for ((i = 0; i < pairs; i++)); do
      # Two pushes per IM (result, status) and their retransmissions: it runs until stopped.
      start_uas "$dir/sender-$i" "${sender_ports[i]}" uas-info.xml $((calls * SENDER_PUSHES_PER_IM_BOUND)) \
        >>"$UAS_PIDS_FILE"
    done
  fi
  local deadline=$((SECONDS + DELIVERY_GRACE_SECONDS)) delivered=0
  for ((i = 0; i < pairs; i++)); do
    delivered=$((delivered + $(finish_uas "$dir/uas-$i" "${uas_pids[i]}" "$deadline")))
  done
  local ok failed achieved p50 p99
  read -r ok failed achieved < <(awk '{ok += $1; failed += $2; achieved += $5} END {print ok+0, failed+0, achieved+0}' \
    "$dir"/uac-*.result)
  read -r p50 p99 < <(rtt_percentiles "$dir"/uac-*/*_rtt.csv)
  local all=$((calls * pairs)) per_pair_note=""
  [ "$pairs" -eq 1 ] || per_pair_note=",in all=$total_rate/s"
  echo "$(step_verdict "$total_rate" "$all" "$ok" "$failed" "$achieved" "$delivered") $p50 $p99" \
    "ok=$ok/$all,failed=$failed,delivered=$delivered,achieved=$achieved/s$per_pair_note"
}

# Senders of an IM search: registered (Herald: and logged in) once, their ports kept for SIPp.
SENDERS=""
SENDER_PORTS=""
prepare_senders() {
  local count="$1" i user
  SENDERS="" SENDER_PORTS=""
  for ((i = 0; i < count; i++)); do
    if [ "$count" -eq 1 ]; then user="$SENDER"; else user="$(printf 'u%06d' $((USER_COUNT + PAIRS_OFFSET + i)))"; fi
    SENDERS="$SENDERS $user"
    SENDER_PORTS="$SENDER_PORTS $(free_udp_port)"
  done
  # Kamailio relays MESSAGEs from anyone: only its recipients register.
  [ "$SIDE" = kamailio ] || register_devices "$SENDERS" "$SENDER_PORTS"
}
probe_im() { probe_pairs "$1" "$SENDERS" "$SENDER_PORTS"; }

# Args: kind search_result [pairs: the search's rates are per pair, the figure is the total]
report() {
  local kind="$1" result="$2" pairs="${3:-1}"
  local best p50 p99 runs
  read -r best p50 p99 runs <<<"$result"
  local per_pair_note=""
  [ "$pairs" -eq 1 ] || per_pair_note=" (rates per pair)"
  local capped=""
  case "$runs" in *:fail\(*) ;; *) capped=" (every step passed: a lower bound, start higher)" ;; esac
  record_result sip-rate "$kind per second" "$SIDE" "$((best * pairs))" "/s" \
    "steps of ${BENCH_STEP_SECONDS}s$per_pair_note$capped: $runs"
  record_result sip-rate "$kind p50 at that rate" "$SIDE" "$p50" ms
  record_result sip-rate "$kind p99 at that rate" "$SIDE" "$p99" ms
}

if [ "$WHAT" = register ] || [ "$WHAT" = all ]; then
  bench_log "$SIDE: REGISTER step search from $REGISTER_START_RATE/s"
  report "REGISTER (MD5 digest)" "$(step_search probe_register "$REGISTER_START_RATE")"
fi
if [ "$WHAT" = im ] || [ "$WHAT" = all ]; then
  prepare_senders 1
  bench_log "$SIDE: IM step search (one pair) from $IM_START_RATE/s"
  report "IM relayed (sender 200 OK + recipient answered)" "$(step_search probe_im "$IM_START_RATE")"
fi
if [ "$WHAT" = pairs ] || [ "$WHAT" = all ]; then
  prepare_senders "$IM_PAIRS"
  bench_log "$SIDE: IM step search ($IM_PAIRS pairs at once) from $PAIRS_START_RATE/s in all"
  report "IM relayed, $IM_PAIRS pairs at once (total)" "$(step_search probe_im $((PAIRS_START_RATE / IM_PAIRS)))" \
    "$IM_PAIRS"
fi
