#!/usr/bin/env bash
# Replays a market scenario (SPEC §7) and writes what a subscriber would receive.
# Usage: infra/local/run-scenario.sh [SCENARIO.json] [OUTDIR]   (defaults: scenarios/sample-crash.json, out/)
#
# Today this runs the margin domain in one JVM (the reference behaviour); the whole-stack replay
# on the local AWS stand-ins replaces it behind the same arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scenario="$(realpath -m "${1:-$root/scenarios/sample-crash.json}")"
outdir="$(realpath -m "${2:-$root/out}")"
cd "$root"
if [ ! -f target/classes/org/margincall/engine/replay/ReplayMain.class ] || [ ! -f target/runtime.classpath ] \
   || [ -n "$(find src/main pom.xml -newer target/runtime.classpath -print -quit)" ]; then
  echo "building (first run or sources changed)..." >&2
  mvn -B -q -DskipTests compile dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile=target/runtime.classpath >&2
fi
exec java -cp "target/classes:$(cat target/runtime.classpath)" org.margincall.engine.replay.ReplayMain "$scenario" "$outdir"
