#!/usr/bin/env python3
"""Cuts a SPEC §7 scenario to its first MINUTES of events (BENCHMARKS.md, "Price events at venue scale").

Usage: infra/bench/slice-scenario.py SCENARIO MINUTES OUT

Keeps the venue, instruments, collateral assets and every account as they are, and the events whose `at`
is before the first event's `at` + MINUTES (a decimal: 0.5 is 30 s), in file order. Prints on stderr how
many events were kept and the holders per instrument: accounts with a position in it or collateral
priced by it (SPEC §3.3: the accounts a price event of that instrument concerns).
"""
import json
import sys
from datetime import datetime, timedelta


def at(e):
    return datetime.fromisoformat(e["at"].replace("Z", "+00:00"))


def holders(doc):
    priced = {c["asset"]: c.get("priceInstrument") for c in doc.get("collateralAssets", [])}
    out = {i["symbol"]: 0 for i in doc["instruments"]}
    for a in doc["accounts"]:
        exposed = {p["instrument"] for p in a.get("positions", [])}
        exposed |= {priced[c] for c in a.get("collateral", {}) if priced.get(c)}
        for i in exposed:
            out[i] += 1
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, minutes, dst = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    with open(src) as f:
        doc = json.load(f)
    events = doc["events"]
    if events:
        cut = min(at(e) for e in events) + timedelta(minutes=minutes)
        doc["events"] = [e for e in events if at(e) < cut]
    with open(dst, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{dst}: {len(doc['events'])} of {len(events)} events, {len(doc['accounts'])} accounts, "
          f"holders {json.dumps(holders(doc))}", file=sys.stderr)


if __name__ == "__main__":
    main()
