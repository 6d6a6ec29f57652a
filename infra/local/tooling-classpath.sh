#!/usr/bin/env bash
# Prints the classpath of the local tooling (src/local/java: the replay, serve, the venue tool; it
# lives on the test classpath, never in function.zip), building it first when it is missing or a
# source changed since the last build. Messages go to stderr, the classpath alone to stdout.
# REPLAY_CLASSPATH (set by the tests) is printed as it is, nothing built.
#
# Usage: infra/local/tooling-classpath.sh [--install]    --install: install the local stand-ins first
# Shared by run-scenario.sh, serve.sh and venue.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -n "${REPLAY_CLASSPATH:-}" ]; then
  printf '%s\n' "$REPLAY_CLASSPATH"
  exit 0
fi
cd "$root"
if [ "${1:-}" = "--install" ]; then
  bash infra/local/install.sh >&2
fi
classes=target/test-classes/org/margincall/engine
if [ ! -f "$classes/replay/ReplayMain.class" ] || [ ! -f "$classes/local/Serve.class" ] \
   || [ ! -f "$classes/local/VenueCommand.class" ] || [ ! -f target/tooling.classpath ] \
   || [ -n "$(find src/main src/local pom.xml -newer target/tooling.classpath -print -quit)" ]; then
  echo "building (first run or sources changed)..." >&2
  # (Maven writes colour resets even in batch mode: stripped, they are noise in a log)
  ./mvnw -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile=target/tooling.classpath 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2
  touch target/tooling.classpath
fi
printf '%s\n' "$root/target/test-classes:$root/target/classes:$(cat "$root/target/tooling.classpath")"
