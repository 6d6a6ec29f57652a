#!/usr/bin/env bash
# The engine on the local AWS stand-ins, wired as template.yaml wires it, until Ctrl-C: EventBridge
# rules -> price / account handlers, the escalation state machine -> re-check handler, the sweep
# every minute on the wall clock. Loads the scenario's venue and accounts (not its events), prints
# `ready <path of endpoints.env>` on stdout, and stops everything it started on Ctrl-C.
#
# Usage: infra/local/serve.sh [SCENARIO.json] [--sweep-every SECONDS] [--state-dir DIR]
#   defaults: scenarios/sample-crash.json, the template's schedule (rate(1 minute)), target/serve-<pid>
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
args=()
prev=""
for a in "$@"; do
  # Paths are the caller's: made absolute before the cd below.
  if [[ "$prev" == "--state-dir" || ( "$a" != --* && "$prev" != "--sweep-every" ) ]]; then
    args+=("$(realpath -m -- "$a")")
  else
    args+=("$a")
  fi
  prev="$a"
done
cd "$root"
# Serve is local tooling (src/local/java): it lives on the test classpath, never in function.zip.
cp="$(bash infra/local/tooling-classpath.sh --install)"
exec java -cp "$cp" org.margincall.engine.local.Serve "${args[@]}"
