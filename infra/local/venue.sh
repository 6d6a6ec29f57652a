#!/usr/bin/env bash
# Data in for a venue (org.margincall.engine.local.VenueCommand, the `venue` command of the same
# tool as run-scenario.sh): load or update its configuration, import an accounts snapshot (JSON
# Lines), hold or release its hand-offs; in a deployed table (--aws) or a local stack started by
# `infra/local/serve.sh --state-dir DIR` (--local DIR).
#
# Usage: infra/local/venue.sh load VENUE.json [--with-accounts] (--local DIR | --aws --table NAME [--region R])
#        infra/local/venue.sh import ACCOUNTS.jsonl [--venue ID] [--threads N] [--from-line N] [--dry-run] TARGET
#        infra/local/venue.sh hold-handoffs|release-handoffs --reason TEXT [--venue ID] TARGET
#        infra/local/venue.sh --help | infra/local/venue.sh COMMAND --help
# Exit codes: 0 done, 1 failed (an import resumes when run again), 2 bad input, 130 interrupted.
#
# Paths are taken relative to the current directory. Like run-scenario.sh it builds the local
# tooling (src/local/java, never in function.zip) on first use or after a source change;
# REPLAY_CLASSPATH skips the build and runs with that classpath instead. java is exec'd, so
# Ctrl-C reaches the JVM: an import writes its checkpoint and the same command resumes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cp="$(bash "$root/infra/local/tooling-classpath.sh")"
tty_out=false; [ -t 1 ] && tty_out=true
tty_err=false; [ -t 2 ] && tty_err=true
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dmargincall.root="$root" -Dmargincall.stdout.tty="$tty_out" -Dmargincall.stderr.tty="$tty_err" \
  -cp "$cp" org.margincall.engine.replay.ReplayMain venue "$@"
