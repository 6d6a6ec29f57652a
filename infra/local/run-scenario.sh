#!/usr/bin/env bash
# Replays a market scenario (SPEC §7) through the whole stack on the local AWS stand-ins and
# writes what a venue's subscriber receives, a summary and a report page.
#
# Usage: infra/local/run-scenario.sh [SCENARIO.json] [OUTDIR] [--speed N|max] [--accounts N] [--in-process]
#   defaults: scenarios/sample-crash.json, out/, speed 200 (scenario seconds per wall second)
#   --accounts N   scale mode: add N generated accounts
#   --in-process   the pure domain in one JVM instead of the stack (the reference behaviour)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
args=()
positional=0
for a in "$@"; do
  case "$a" in
    --*) args+=("$a") ;;
    *) if [ "$positional" -lt 2 ] && [ "${prev:-}" != "--speed" ] && [ "${prev:-}" != "--accounts" ]; then
         args+=("$(realpath -m "$a")"); positional=$((positional + 1))
       else args+=("$a"); fi ;;
  esac
  prev="$a"
done
cd "$root"
bash infra/local/install.sh
# The replay is local tooling (src/local/java): it lives on the test classpath, never in function.zip.
if [ ! -f target/test-classes/org/margincall/engine/replay/ReplayMain.class ] || [ ! -f target/tooling.classpath ] \
   || [ -n "$(find src/main src/local pom.xml -newer target/tooling.classpath -print -quit)" ]; then
  echo "building (first run or sources changed)..." >&2
  mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile=target/tooling.classpath >&2
  touch target/tooling.classpath
fi
exec java -cp "target/test-classes:target/classes:$(cat target/tooling.classpath)" org.margincall.engine.replay.ReplayMain "${args[@]}"
