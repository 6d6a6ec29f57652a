#!/usr/bin/env bash
# Runs the JMH benchmarks of the evaluation kernel (not part of the test suite) and prints
# ns/position for the kernel and the BigDecimal baseline, and their ratio, per account count.
# Usage: infra/bench/run-jmh.sh [extra JMH args, e.g. -p accounts=100000 -wi 1 -i 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
out=target/jmh-result.json
java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" org.openjdk.jmh.Main \
    'org.margincall.engine.bench.KernelBenchmark' -rf json -rff "$out" "$@"
python3 - "$out" <<'PY'
import json, sys
positions = 3
rows = {}
for r in json.load(open(sys.argv[1])):
    name = r["benchmark"].rsplit(".", 1)[1]
    n = int(r["params"]["accounts"])
    ms = r["primaryMetric"]["score"]
    err = r["primaryMetric"]["scoreError"]
    err = 0.0 if isinstance(err, str) else err
    rows.setdefault(n, {})[name] = (ms * 1e6 / (n * positions), err * 1e6 / (n * positions))
print("\n accounts  benchmark            ns/position        vs BigDecimal")
for n in sorted(rows):
    b = rows[n].get("bigDecimalBaseline")
    for name in ("kernel", "kernelPerObject", "bigDecimalBaseline"):
        v = rows[n].get(name)
        if v:
            ratio = f"{b[0] / v[0]:6.1f}x" if b else "   n/a"
            print(f"{n:>9}  {name:<19} {v[0]:8.2f} ± {v[1]:7.2f}   {ratio}")
PY
