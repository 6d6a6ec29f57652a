#!/usr/bin/env python3
"""Prints the tables of infra/bench/run-scale.sh from OUT/*/metrics.json (BENCHMARKS.md, "Price events at
venue scale").

Usage: infra/bench/scale-table.py [OUT=target/bench-scale]

Per-tick figures come from metrics.json's perPriceEvent (each price event's handler and its chunks; the
setup is not counted): itemsRead (every DynamoDB item the responses carried: accounts, band rows or
holdings-index entries, the venue partition), itemsQueried (the Query part of it), so accounts read =
itemsRead - itemsQueried. Holders of a tick = accounts with a position in its instrument or collateral
priced by it, counted from the scenario. "steady" leaves out each instrument's first tick, which reads
every holder on the bands path (an account never evaluated has EMPTY bands).
"""
import json
import os
import statistics
import sys
from datetime import datetime, timedelta

OUT = sys.argv[1] if len(sys.argv) > 1 else "target/bench-scale"


def load(name):
    path = os.path.join(OUT, name, "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        m = json.load(f)
    info = {}
    with open(os.path.join(OUT, "runs", name + ".txt")) as f:
        for line in f:
            k, _, v = line.partition(": ")
            info[k] = v.strip()
    m["_name"] = name
    m["_command"] = info.get("command", "")
    m["_load"] = [info.get("before", ""), info.get("after", "")]
    m["_scenario"] = m["_command"].split()[1]
    return m


def holders(doc):
    priced = {c["asset"]: c.get("priceInstrument") for c in doc.get("collateralAssets", [])}
    out = {i["symbol"]: 0 for i in doc["instruments"]}
    for a in doc["accounts"]:
        exposed = {p["instrument"] for p in a.get("positions", [])}
        exposed |= {priced[c] for c in a.get("collateral", {}) if priced.get(c)}
        for i in exposed:
            out[i] += 1
    return out


def load_avg(s):
    return s.split("load average:")[-1].strip() if "load average" in s else "?"


def pct(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def quiet_stats(m, upto=None, steady=False):
    with open(m["_scenario"]) as f:
        doc = json.load(f)
    h = holders(doc)
    prices = [e for e in doc["events"] if e["type"] == "PRICE"]
    insts = [e["instrument"] for e in prices]
    # accounts a tick had to read whatever the selection: those it sent a notice (distinct account ids)
    notified = {}
    with open(os.path.join(OUT, m["_name"], "notifications.jsonl")) as f:
        for line in f:
            t = json.loads(line)["trigger"]
            if t.get("kind") == "PRICE":
                notified.setdefault((t["instrument"], t["sequence"]), set()).add(json.loads(line)["accountId"])
    per = m["perPriceEvent"]
    n = len(per["itemsRead"])
    assert n == len(insts), (m["_scenario"], n, len(insts))
    idx = list(range(n if upto is None else min(n, upto)))
    if steady:
        first = {}
        for i, s in enumerate(insts):
            first.setdefault(s, i)
        idx = [i for i in idx if i not in first.values()]
    k = len(idx)
    hold = sum(h[insts[i]] for i in idx) / k
    items = sum(per["itemsRead"][i] for i in idx) / k
    queried = sum(per["itemsQueried"][i] for i in idx) / k
    accounts = items - queried
    evals = sum(per["evaluations"][i] for i in idx) / k
    walls = sorted(per["wallMillis"][i] for i in idx)
    notices = sum(per["notifications"][i] for i in idx) / k
    changed = sum(len(notified.get((insts[i], prices[i]["sequence"]), ())) for i in idx) / k
    return {"changed": changed, "ticks": k, "holders": hold, "items": items, "queried": queried, "accounts": accounts, "evals": evals,
            "wall": sum(walls) / k, "wallMedian": statistics.median(walls), "wallP95": pct(walls, 0.95),
            "notices": notices, "h": h}


def main():
    names = sorted(d for d in os.listdir(OUT) if os.path.isfile(os.path.join(OUT, d, "metrics.json")))
    by_size = lambda n: (int(n.split("-")[1]), n)
    quiet = sorted((n for n in names if n.startswith("quiet-")), key=by_size)
    crash = sorted((n for n in names if n.startswith("crash-")), key=by_size)
    loads = []
    if quiet:
        print("## Quiet venue: per tick (price event: its handler and chunks)\n")
        print("| accounts | path | ticks | holders/tick | items read/tick | of which Query rows | accounts read/tick "
              "| items read / holders | accounts read / holders | evaluations/tick | notices/tick | accounts notified / holders "
              "| wall ms/tick mean | median | p95 |")
        print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = {}
        for name in quiet:
            m = load(name)
            loads.append((name, m["_load"]))
            acc = name.split("-")[1]
            path = "baseline" if m["triggerBands"] is False else "bands"
            lat = ",".join(f"{k}={v}" for k, v in sorted(m["latencyMillis"].items()))
            if lat:
                path += f" ({lat})"
            variants = [("all", quiet_stats(m))]
            if path.startswith("bands"):
                variants.append(("steady", quiet_stats(m, steady=True)))
                base = load(name.replace("-bands", "-baseline"))
                first = None if base is None else len(base["perPriceEvent"]["itemsRead"])
                if first is not None and first < len(m["perPriceEvent"]["itemsRead"]):
                    variants.append((f"first {first}", quiet_stats(m, upto=first)))
                    variants.append((f"first {first}, steady", quiet_stats(m, upto=first, steady=True)))
            else:
                variants.append(("steady", quiet_stats(m, steady=True)))
            for label, s in variants:
                rows[(acc, path, label)] = s
                print(f"| {acc} | {path} | {s['ticks']} ({label}) | {s['holders']:.0f} | {s['items']:.1f} | {s['queried']:.1f} "
                      f"| {s['accounts']:.1f} | {100 * s['items'] / s['holders']:.2f} % | {100 * s['accounts'] / s['holders']:.2f} % "
                      f"| {s['evals']:.1f} | {s['notices']:.2f} | {100 * s['changed'] / s['holders']:.2f} % | {s['wall']:.1f} | {s['wallMedian']:.0f} | {s['wallP95']:.0f} |")
        print()
        print("Ratios bands / baseline on the same ticks (the baseline's):\n")
        print("| accounts | latency: ticks | items read/tick | accounts read/tick | wall ms/tick (mean) |")
        print("|---:|---|---:|---:|---:|")
        for (acc, path, label), s in sorted(rows.items(), key=lambda kv: (int(kv[0][0]), kv[0][1:])):
            if not path.startswith("bands"):
                continue
            b = rows.get((acc, path.replace("bands", "baseline"), "steady" if "steady" in label else "all"))
            if b is None or b["ticks"] != s["ticks"]:
                continue  # both runs replay a prefix of the same tape: the same number of ticks is the same ticks
            print(f"| {acc} | {path.replace('bands', '').strip() or 'no latency'}: {label} ({s['ticks']} ticks) "
                  f"| {s['items'] / b['items']:.4f} | {s['accounts'] / b['accounts']:.4f} | {s['wall'] / b['wall']:.3f} |")
        print()
    if crash:
        print("## Crash tick (the second price event: every account HEALTHY -> MARGIN_CALL)\n")
        print("| run | accounts | path | latency | tick wall ms | ms to last notice accepted by SNS | notices "
              "| SNS calls | SNS calls / 1,000 notices | DynamoDB calls | DynamoDB calls / account | items read "
              "| chunks | run wall s |")
        print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in crash:
            m = load(name)
            loads.append((name, m["_load"]))
            e = m["lastPriceEvent"]
            acc = int(name.split("-")[1])
            path = "baseline" if m["triggerBands"] is False else "bands"
            lat = ",".join(f"{k}={v}" for k, v in m["latencyMillis"].items()) or "none"
            sns = 1000 * e["snsPublishCalls"] / e["notifications"] if e["notifications"] else float("nan")
            print(f"| {name} | {acc} | {path} | {lat} | {e['wallMillis']} | {e['millisToLastPublish']} | {e['notifications']} "
                  f"| {e['snsPublishCalls']} | {sns:.1f} | {e['dynamoDbCalls']} | {e['dynamoDbCalls'] / acc:.2f} "
                  f"| {e['itemsRead']} | {e['chunks']} | {m['wallMillis'] / 1000:.0f} |")
        print()
    if loads:
        print("## Load (uptime before and after each run)\n")
        for name, (before, after) in loads:
            print(f"- {name}: {load_avg(before)} -> {load_avg(after)}")


if __name__ == "__main__":
    main()
