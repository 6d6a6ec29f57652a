#!/usr/bin/env bash
# Replays a market scenario (SPEC §7) through the whole stack on the local AWS stand-ins and
# writes what a venue's subscriber receives, a summary and a report page.
#
# Usage: infra/local/run-scenario.sh [SCENARIO.json] [OUTDIR] [--speed N|max] [--accounts N] [--in-process]
#        infra/local/run-scenario.sh --help      (options, outputs, exit codes)
# Exit codes: 0 done, 1 run failed, 2 bad input (option or scenario file), 130 interrupted.
#
# Paths are taken relative to the current directory. The replay is local tooling
# (src/local/java, on the test classpath, never in function.zip): the first run, and any run
# after a source change, builds it first. REPLAY_CLASSPATH (used by the tests) skips the
# install and the build and runs with that classpath instead.
#
# java is exec'd, so Ctrl-C (SIGINT) reaches the JVM itself: its shutdown hook stops every
# process the run started and removes the run's state dir target/replay-stack-<pid>.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cp="$(bash "$root/infra/local/tooling-classpath.sh" --install)"
# Whether stdout / stderr are terminals (Java cannot tell for stderr): progress and colours follow.
tty_out=false; [ -t 1 ] && tty_out=true
tty_err=false; [ -t 2 ] && tty_err=true
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dmargincall.root="$root" -Dmargincall.stdout.tty="$tty_out" -Dmargincall.stderr.tty="$tty_err" \
  -cp "$cp" org.margincall.engine.replay.ReplayMain "$@"
