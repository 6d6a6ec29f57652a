#!/usr/bin/env bash
# Price events at venue scale (SPEC §10), trigger bands against the pre-§10 baseline, through the
# whole local stack (BENCHMARKS.md, "Price events at venue scale"). A benchmark, not a test.
#
# Usage: infra/bench/run-scale.sh [quiet|crash|all|table]      (default all; table only prints)
#        all took about an hour on the 2-core development machine (BENCHMARKS.md)
#
#   quiet  scenarios/quiet-venue-N.json (written by scenarios/make-sample.py if missing) for each N of
#          QUIET_ACCOUNTS, cut to its first BANDS_MINUTES (bands) and BASELINE_MINUTES (--baseline) by
#          infra/bench/slice-scenario.py
#   crash  infra/bench/make-crash-tick.py: CRASH_ACCOUNTS accounts (bands) and CRASH_BASELINE_ACCOUNTS
#          (--baseline), one tick at 40000 then one at 38000 that takes every account to MARGIN_CALL;
#          each without and with --latency LATENCY
#
# Environment (defaults): OUT (target/bench-scale), QUIET_ACCOUNTS ("2000 10000"), BANDS_MINUTES (5),
# BANDS_MINUTES_<N> for N accounts (BANDS_MINUTES; 2 for 10000: the Step Functions facade checks
# every open execution against every pending wait between events, so a busy tape slows down as
# escalations pile up, to ~7 s an event after 3 minutes at 10,000 accounts), BASELINE_MINUTES (1),
# QUIET_LATENCY_ACCOUNTS ("2000": for these N both paths also run the BASELINE_MINUTES cut with
# --latency LATENCY), CRASH_ACCOUNTS (10000), CRASH_BASELINE_ACCOUNTS (CRASH_ACCOUNTS),
# LATENCY (dynamodb=8,sns=20), CHUNK_SIZE (500, the engine's default), FORCE (0: a run whose
# metrics.json exists is not run again; 1: run everything again).
#
# Every run is infra/local/run-scenario.sh SCENARIO OUT/NAME --speed max [options], one after the
# other (never two at once: they share the 2 cores). OUT/runs/NAME.txt keeps the command and `uptime`
# before and after it; OUT/runs/NAME.err its stderr. At the end infra/bench/scale-table.py OUT prints
# the tables from the metrics.json files (per-price-event figures: metrics.json's perPriceEvent).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
what="${1:-all}"
OUT="${OUT:-target/bench-scale}"
QUIET_ACCOUNTS="${QUIET_ACCOUNTS:-2000 10000}"
BANDS_MINUTES="${BANDS_MINUTES:-5}"
BASELINE_MINUTES="${BASELINE_MINUTES:-1}"
BANDS_MINUTES_10000="${BANDS_MINUTES_10000:-2}"
QUIET_LATENCY_ACCOUNTS="${QUIET_LATENCY_ACCOUNTS:-2000}"
CRASH_ACCOUNTS="${CRASH_ACCOUNTS:-10000}"
CRASH_BASELINE_ACCOUNTS="${CRASH_BASELINE_ACCOUNTS:-$CRASH_ACCOUNTS}"
LATENCY="${LATENCY:-dynamodb=8,sns=20}"
CHUNK_SIZE="${CHUNK_SIZE:-500}"
FORCE="${FORCE:-0}"
mkdir -p "$OUT/runs" "$OUT/scenarios"
failed=0

# run NAME SCENARIO [run-scenario options...]
run() {
  local name="$1" scenario="$2"
  shift 2
  local dir="$OUT/$name" log="$OUT/runs/$name"
  if [ -f "$dir/metrics.json" ] && [ "$FORCE" != 1 ]; then
    echo "$name: done before ($dir/metrics.json; FORCE=1 runs it again)" >&2
    return 0
  fi
  rm -rf "$dir"
  local cmd=(infra/local/run-scenario.sh "$scenario" "$dir" --speed max --chunk-size "$CHUNK_SIZE" "$@")
  {
    echo "command: ${cmd[*]}"
    echo "before: $(uptime)"
  } > "$log.txt"
  echo "$name: ${cmd[*]}  [$(uptime | sed 's/.*load/load/')]" >&2
  local t0=$SECONDS
  if "${cmd[@]}" > "$log.out" 2> "$log.err"; then
    echo "after: $(uptime)" >> "$log.txt"
    echo "$name: done in $((SECONDS - t0)) s  [$(uptime | sed 's/.*load/load/')]" >&2
  else
    local rc=$?
    echo "after: $(uptime)" >> "$log.txt"
    echo "failed: exit $rc" >> "$log.txt"
    echo "$name: FAILED (exit $rc) after $((SECONDS - t0)) s; see $log.err" >&2
    failed=1
  fi
}

if [ "$what" = quiet ] || [ "$what" = all ]; then
  for n in $QUIET_ACCOUNTS; do
    full="scenarios/quiet-venue-$n.json"
    [ -f "$full" ] || python3 scenarios/make-sample.py --accounts "$n"
    per_n="BANDS_MINUTES_$n"
    bands_minutes="${!per_n:-$BANDS_MINUTES}"
    python3 infra/bench/slice-scenario.py "$full" "$bands_minutes" "$OUT/scenarios/quiet-$n-${bands_minutes}min.json"
    python3 infra/bench/slice-scenario.py "$full" "$BASELINE_MINUTES" "$OUT/scenarios/quiet-$n-${BASELINE_MINUTES}min.json"
    run "quiet-$n-baseline" "$OUT/scenarios/quiet-$n-${BASELINE_MINUTES}min.json" --baseline
    run "quiet-$n-bands" "$OUT/scenarios/quiet-$n-${bands_minutes}min.json"
    if [[ " $QUIET_LATENCY_ACCOUNTS " == *" $n "* ]]; then
      run "quiet-$n-baseline-latency" "$OUT/scenarios/quiet-$n-${BASELINE_MINUTES}min.json" --baseline --latency "$LATENCY"
      run "quiet-$n-bands-latency" "$OUT/scenarios/quiet-$n-${BASELINE_MINUTES}min.json" --latency "$LATENCY"
    fi
  done
fi

if [ "$what" = crash ] || [ "$what" = all ]; then
  for n in $(printf '%s\n' "$CRASH_ACCOUNTS" "$CRASH_BASELINE_ACCOUNTS" | sort -u); do
    [ -f "$OUT/scenarios/crash-$n.json" ] || python3 infra/bench/make-crash-tick.py "$n" "$OUT/scenarios/crash-$n.json"
  done
  run "crash-$CRASH_ACCOUNTS-bands" "$OUT/scenarios/crash-$CRASH_ACCOUNTS.json"
  run "crash-$CRASH_ACCOUNTS-bands-latency" "$OUT/scenarios/crash-$CRASH_ACCOUNTS.json" --latency "$LATENCY"
  run "crash-$CRASH_BASELINE_ACCOUNTS-baseline" "$OUT/scenarios/crash-$CRASH_BASELINE_ACCOUNTS.json" --baseline
  run "crash-$CRASH_BASELINE_ACCOUNTS-baseline-latency" "$OUT/scenarios/crash-$CRASH_BASELINE_ACCOUNTS.json" \
      --baseline --latency "$LATENCY"
fi

python3 infra/bench/scale-table.py "$OUT"
exit "$failed"
