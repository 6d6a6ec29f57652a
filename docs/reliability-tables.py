#!/usr/bin/env python3
"""Builds RELIABILITY.md's fault tables from the metrics.json of replays of the golden crash.

Usage: docs/reliability-tables.py OUTROOT

OUTROOT holds one directory per run, named as RELIABILITY.md's commands name them:
  all-s<seed>                    --faults 0.2 --fault-seed <seed>
  <KIND>-s<seed>                 --faults 0.2 --fault-seed <seed> --fault-kinds <KIND>
  noretry-all-s<seed>            --faults 0.05 --fault-seed <seed> --no-sdk-retries
  noretry-<KIND>-s<seed>         --faults 0.05 --fault-seed <seed> --fault-kinds <KIND> --no-sdk-retries
Missing runs are left out. Prints Markdown on stdout.
"""
import json
import os
import sys

KINDS = ["THROTTLING", "HTTP_500", "HTTP_503", "CONNECTION_RESET", "TIMEOUT_AFTER_APPLY", "PARTIAL_BATCH"]


def load(root, name):
    path = os.path.join(root, name, "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def refused(m):
    """Batch entries SNS or EventBridge refused, plus publish calls that failed through the SDK's
    retries: the engine sends each again at once (3 attempts in all), then leaves it owed."""
    sdk = m["sdkCalls"]
    failed = sdk["failedCalls"]
    return (sdk["sns"]["failedEntries"] + sdk["eventBridge"]["failedEntries"]
            + failed.get("Sns:PublishBatch", 0) + failed.get("EventBridge:PutEvents", 0))


def path(m):
    """The recovery paths that did some work in this run."""
    used = []
    if m["faultsInjected"] - m["faultsSurfaced"] > 0:
        used.append("SDK retry")
    if refused(m) > 0:
        used.append("re-publish")
    if m["invocationsRetried"] > 0:
        used.append("redelivery")
    if m["duplicatesReceived"] > 0:
        used.append("dedup by id")
    if m["deliveredBySweep"] > 0:
        used.append("sweep")
    return ", ".join(used) or "none needed"


def per_class(root, prefix, seeds):
    rows = ["| fault class | runs | injected | reached the engine | notices owed | delivered | lost | late "
            "| duplicates received (suppressed by id) | refused by SNS/EventBridge, sent again | invocations redelivered "
            "| delivered by the sweep | recovery path | time to recover (scenario) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for kind in KINDS:
        ms = [m for m in (load(root, f"{prefix}{kind}-s{s}") for s in seeds) if m]
        if not ms:
            continue
        total = lambda k: sum(m[k] for m in ms)
        paths = sorted({p for m in ms for p in path(m).split(", ")} - {"none needed"}) or ["none needed"]
        recover = max(m["recoverySeconds"] for m in ms)
        rows.append(f"| {kind} | {len(ms)} | {total('faultsInjected')} | {total('faultsSurfaced')} "
                    f"| {total('notificationsOwed')} | {total('notificationsOwed') - total('lost')} | {total('lost')} "
                    f"| {total('late')} | {total('duplicatesReceived')} | {sum(refused(m) for m in ms)} "
                    f"| {total('invocationsRetried')} | {total('deliveredBySweep')} | {', '.join(paths)} "
                    f"| {recover} s |")
    return "\n".join(rows)


def by_kind(m, key):
    """A total with its split by fault kind, e.g. `8 (partial_batch 8)`; kinds with 0 left out."""
    split = (m.get("faults") or {}).get(key) or {}
    parts = [f"{k.lower()} {v}" for k, v in split.items() if v]
    return " (" + ", ".join(parts) + ")" if parts else ""


def per_seed(root, prefix, seeds):
    rows = ["| seed | injected (by kind) | reached the engine (by kind) | notices owed | delivered | lost | late | duplicates received "
            "(suppressed by id) | refused by SNS/EventBridge, sent again | invocations redelivered | delivered by the sweep "
            "| recovery path | time to recover (scenario) | wall |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in seeds:
        m = load(root, f"{prefix}all-s{s}")
        if not m:
            continue
        injected = by_kind(m, "faultsInjectedByKind")
        surfaced = by_kind(m, "faultsSurfacedByKind")
        if m["faultsSurfaced"] == m["faultsInjected"] and surfaced == injected:
            surfaced = " (all)"
        rows.append(f"| {s} | {m['faultsInjected']}{injected} "
                    f"| {m['faultsSurfaced']}{surfaced} | {m['notificationsOwed']} "
                    f"| {m['notificationsOwed'] - m['lost']} | {m['lost']} | {m['late']} | {m['duplicatesReceived']} "
                    f"| {refused(m)} | {m['invocationsRetried']} | {m['deliveredBySweep']} | {path(m)} "
                    f"| {m['recoverySeconds']} s | {m['wallMillis'] / 1000:.1f} s |")
    return "\n".join(rows)


def misses(root, names):
    out = []
    for name in names:
        m = load(root, name)
        if m and m.get("misses"):
            out.extend(f"- `{name}`: {x}" for x in m["misses"])
    return "\n".join(out) or "- none"


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    root = sys.argv[1]
    if not os.path.isdir(root):
        sys.exit(f"{root}: not a directory (see --help)")
    names = sorted(os.listdir(root))
    print("### Per fault class, SDK retries on (rate 0.2, seeds 1-3 summed)\n")
    print(per_class(root, "", [1, 2, 3]))
    print("\n### Per fault class, SDK retries off (rate 0.05, seeds 1-3 summed)\n")
    print(per_class(root, "noretry-", [1, 2, 3]))
    print("\n### All kinds, SDK retries on, rate 0.2\n")
    print(per_seed(root, "", [1, 2, 3, 4, 5]))
    print("\n### All kinds, SDK retries off, rate 0.05\n")
    print(per_seed(root, "noretry-", [1, 2, 3, 4, 5]))
    print("\n### Notices not delivered as owed\n")
    print(misses(root, names))
    clean = load(root, "clean")
    if clean:
        print(f"\nFault-free run: {clean['notificationsOwed']} owed, lost {clean['lost']}, late {clean['late']}, "
              f"{clean['invocationsRetried']} redelivered, {clean['deliveredBySweep']} by the sweep, "
              f"wall {clean['wallMillis'] / 1000:.1f} s.")


if __name__ == "__main__":
    main()
