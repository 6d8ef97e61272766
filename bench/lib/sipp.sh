# SIPp runs and the rate step search for bench/sip-rate.sh (sourced; needs BENCH_WORK, SIPP_DIR,
# BENCH_STEP_SECONDS, BENCH_DOMAIN and record_result from bench/lib/common.sh, and UAS_PIDS_FILE).

# Extra seconds a run may take beyond its nominal duration (slow answers, Timer F) before it is cut.
SIPP_RUN_GRACE_SECONDS=40
# A recipient's pushes may trail the sender's last 200 OK by this much and still count as delivered.
DELIVERY_GRACE_SECONDS=5
# Doublings and bisections of the step search.
SEARCH_MAX_DOUBLINGS=4
SEARCH_BISECTIONS=2
# Pause before each step against a target without a backlog to wait for (Kamailio).
STEP_PAUSE_SECONDS=5
# Herald (HERALD_STATE and HERALD_MODE set): before each step wait until it handled every record
# and every IM push has an outcome, at most this long (Timer F, 32 s, ends pushes to a stopped UAS).
BENCH_IDLE_MAX_SECONDS="${BENCH_IDLE_MAX_SECONDS:-60}"

# p50 and p99 (ms) of the response times of -trace_rtt files (no file: "- -").
rtt_percentiles() {
  [ "$#" -gt 0 ] || set -- /dev/null
  cat "$@" | cut -d';' -f2 | grep -E '^[0-9.]+$' | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) {print "- -"; exit}
      i50=int(NR*0.50); if (i50<1) i50=1; i99=int(NR*0.99); if (i99<1) i99=1;
      printf "%.2f %.2f\n", v[i50], v[i99]}'
}

# "successful failed" from a sipp -trace_stat csv's last line (cumulative columns).
sipp_counts() {
  local stat_file="$1"
  awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i}}
    END {print $s+0, $f+0}' "$stat_file"
}

# Runs one sipp UAC; echoes "successful failed p50 p99 achieved_rate" (achieved: ended calls per
# second of wall-clock time, so a sipp that cannot keep its rate does not pass). Args: dir target rate calls
# scenario [sipp args...]
run_uac() {
  local dir="$1" target="$2" rate="$3" calls="$4" scenario="$5"
  shift 5
  mkdir -p "$dir"
  local started_ns
  started_ns="$(date +%s%N)"
  (cd "$dir" && timeout $((BENCH_STEP_SECONDS + SIPP_RUN_GRACE_SECONDS)) sipp "$target" \
    -sf "$SIPP_DIR/$scenario" -key domain "$BENCH_DOMAIN" -i 127.0.0.1 -r "$rate" -m "$calls" \
    -nostdin -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1 -timeout_error \
    -timeout $((BENCH_STEP_SECONDS + SIPP_RUN_GRACE_SECONDS - 5)) "$@" >sipp.out 2>&1) || true
  local elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
  local counts pcts
  counts="$(sipp_counts "$dir/stat.csv" 2>/dev/null || echo '0 0')"
  pcts="$(rtt_percentiles "$dir"/*_rtt.csv)"
  # Calls ended (either way) per second: a SIPp that stopped early (e.g. could not bind) keeps none.
  local ended=$((${counts% *} + ${counts#* }))
  echo "$counts $pcts $((ended * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1)))"
}

# A step passes when every call succeeded and sipp kept at least this share of the asked rate.
MIN_ACHIEVED_PERCENT=90

# pass or fail. Args: asked_rate calls ok failed achieved [delivered]
step_verdict() {
  local rate="$1" calls="$2" ok="$3" failed="$4" achieved="$5" delivered="${6:-$3}"
  if [ "$ok" -eq "$calls" ] && [ "$failed" -eq 0 ] && [ "$delivered" -eq "$calls" ] &&
    [ $((achieved * 100)) -ge $((rate * MIN_ACHIEVED_PERCENT)) ]; then
    echo pass
  else
    echo fail
  fi
}

# Numbers the runs of one search (probes run in subshells, so a shell variable would not count).
next_step() {
  local file="$1/step" step
  step=$(($(cat "$file" 2>/dev/null || echo 0) + 1))
  echo "$step" >"$file"
  echo "$step"
}

# Starts a recipient UAS on a port in the background; its stat file tells what it answered. It may
# outlive its step by the idle wait (see finish_uas), never longer.
start_uas() {
  local dir="$1" port="$2" scenario="$3" calls="$4"
  mkdir -p "$dir"
  (cd "$dir" && exec timeout $((BENCH_STEP_SECONDS + SIPP_RUN_GRACE_SECONDS + DELIVERY_GRACE_SECONDS + BENCH_IDLE_MAX_SECONDS)) \
    sipp -sf "$SIPP_DIR/$scenario" -p "$port" -i 127.0.0.1 -t u1 -m "$calls" -nostdin \
    -trace_stat -stf stat.csv -fd 1 >sipp.out 2>&1) &
  echo $!
}

# Waits until the UAS answered `calls` or the grace passed (or until $SECONDS reaches the given
# deadline, when several UAS share one grace); echoes how many it answered by then. A UAS still
# running keeps answering until the next step's idle wait is over (its pid goes to
# $UAS_PIDS_FILE): stopped now, the pushes queued for it would each wait for Timer F (32 s).
finish_uas() {
  local dir="$1" pid="$2" deadline="${3:-$((SECONDS + DELIVERY_GRACE_SECONDS))}"
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$pid" >>"$UAS_PIDS_FILE"
  else
    wait "$pid" 2>/dev/null || true
  fi
  sipp_counts "$dir/stat.csv" 2>/dev/null | awk '{print $1}' || echo 0
}

# Stops the UAS that outlived their steps (finish_uas).
stop_lingering_uas() {
  [ -f "$UAS_PIDS_FILE" ] || return 0
  local pid
  while read -r pid; do stop_pid "$pid"; done <"$UAS_PIDS_FILE"
  rm -f "$UAS_PIDS_FILE"
}

# Before a step: Herald must be idle (see BENCH_IDLE_MAX_SECONDS); echoes a note for the run
# details only when it was not (or could not be read), nothing otherwise.
before_step() {
  if [ -z "${HERALD_STATE:-}" ]; then
    sleep "$STEP_PAUSE_SECONDS"
    stop_lingering_uas
    return 0
  fi
  local outcome
  outcome="$(timeout $((BENCH_IDLE_MAX_SECONDS + 30)) node "$HERALD_ROOT/dist/bench/wait-idle.js" \
    --state "$HERALD_STATE" --mode "$HERALD_MODE" --max-seconds "$BENCH_IDLE_MAX_SECONDS" 2>&1 | tail -1)" ||
    outcome="idle check failed: $outcome"
  stop_lingering_uas
  echo "  before the step Herald was $outcome" >&2
  case "$outcome" in
    idle\ after*) ;;
    *) echo ",before=$outcome" ;;
  esac
}

# One step: waits for the target to be idle, runs the probe; echoes "verdict p50 p99 detail".
run_step() {
  local probe_fn="$1" rate="$2" note verdict p50 p99 detail
  note="$(before_step)"
  read -r verdict p50 p99 detail < <("$probe_fn" "$rate")
  echo "  step $rate/s: $verdict p50=${p50}ms p99=${p99}ms $detail$note" >&2
  echo "$verdict $p50 $p99 $detail$note"
}

# Step search: doubles the rate from $start while a run passes, then bisects once between the last
# pass and the first failure. probe_fn RATE must echo "pass|fail p50 p99 detail". Echoes
# "best_rate p50 p99 runs" (best_rate 0: even the first rate failed).
step_search() {
  local probe_fn="$1" rate="$2"
  local best=0 best_p50=- best_p99=- failed_at=0 runs=""
  local i
  for ((i = 0; i <= SEARCH_MAX_DOUBLINGS; i++)); do
    local verdict p50 p99 detail
    read -r verdict p50 p99 detail < <(run_step "$probe_fn" "$rate")
    runs="$runs $rate:$verdict($detail)"
    if [ "$verdict" = pass ]; then best=$rate best_p50=$p50 best_p99=$p99; rate=$((rate * 2)); else failed_at=$rate; break; fi
  done
  for ((i = 0; i < SEARCH_BISECTIONS && failed_at > 0; i++)); do
    local low=$best
    [ "$low" -eq 0 ] && low=$((failed_at / 4))
    rate=$(((low + failed_at) / 2))
    [ "$rate" -le "$best" ] && break
    read -r verdict p50 p99 detail < <(run_step "$probe_fn" "$rate")
    runs="$runs $rate:$verdict($detail)"
    if [ "$verdict" = pass ]; then best=$rate best_p50=$p50 best_p99=$p99; else failed_at=$rate; fi
  done
  echo "$best $best_p50 $best_p99 ${runs# }"
}
