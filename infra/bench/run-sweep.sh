#!/usr/bin/env bash
# Times the minute sweep over N accounts on the local stand-ins, against a bare scan baseline in
# the same process (see BENCHMARKS.md). Usage: infra/bench/run-sweep.sh [accounts=10000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/local/install.sh
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xmx4g -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
    org.margincall.engine.bench.SweepBenchmark "${1:-10000}" "${2:-3}"
