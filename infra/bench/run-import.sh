#!/usr/bin/env bash
# Times `venue.sh import` of N generated accounts into the local stack (see BENCHMARKS.md):
# starts infra/local/serve.sh (sample venue `demo`, the sweep kept out of the way), writes the
# snapshot with infra/bench/make-accounts.py, imports it, imports it again (every line unchanged),
# then stops serve. Usage: infra/bench/run-import.sh [accounts=10000] [threads=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-10000}"
threads="${2:-8}"
state="target/bench-import-$$"
file="target/bench-import-$n.jsonl"
mkdir -p target
python3 infra/bench/make-accounts.py "$n" > "$file"
rm -f "$file.import-state"
infra/local/serve.sh --state-dir "$state" --sweep-every 86400 > "$state.out" 2> "$state.log" &
serve=$!
trap 'kill -TERM "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^ready ' "$state.out" 2>/dev/null && break
  kill -0 "$serve" 2>/dev/null || { echo "serve.sh did not start:" >&2; tail -20 "$state.log" >&2; exit 1; }
  sleep 1
done
# CPU seconds a process has used (user + system), from /proc: the share of the 2 cores each side
# takes, which other load on the machine does not change much.
cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$1/stat"; }
dynalite=$(awk '$1 == "dynalite" { print $2 }' "$state/stack/pids")
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the import"
for pass in "first import ($n accounts, $threads threads)" "the same file again"; do
  echo "--- $pass"
  before=$(cpu "$dynalite")
  TIMEFORMAT="  importer JVM: %U s user + %S s system CPU"
  time infra/local/venue.sh import "$file" --local "$state" --threads "$threads" 2>/dev/null
  echo "  dynalite: $(awk -v a="$before" -v b="$(cpu "$dynalite")" 'BEGIN { printf "%.1f", b - a }') s CPU"
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
