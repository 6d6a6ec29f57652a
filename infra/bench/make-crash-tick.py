#!/usr/bin/env python3
"""Writes a SPEC §7 scenario of one crash tick that moves N accounts into a margin call (BENCHMARKS.md,
"Price events at venue scale").

Usage: infra/bench/make-crash-tick.py N OUT [--from 40000] [--to 38000] [--seed 7]

Venue `crash` (the SPEC §3.1 default thresholds, hysteresis 0.02, no wick guard), one instrument BTC-USD
with the sample's tier table, USDT collateral. Accounts crash-000000 ... each hold one long cross BTC
position (0.05 to 5 BTC, entry within 0.5 % of FROM) and USDT sized so that the collateral ratio at TO is
between 1.07 and 1.18 (MARGIN_CALL: 1.05 <= R < 1.2); at FROM every account is HEALTHY (R >= 1.5: the
script checks both). Two events, a second apart: BTC-USD at FROM (establishes the marks: every account is
evaluated once, no notice), then at TO (every account worsens to MARGIN_CALL: N MARGIN_CALL notices, N
escalations started). The same arguments give the same bytes.
"""
import argparse
import json
import random
from decimal import Decimal as D, ROUND_CEILING, ROUND_HALF_UP

TIERS = [("0", "50000", "0.004"), ("50000", "250000", "0.005"), ("250000", None, "0.01")]
THRESHOLDS = {"warning": "1.5", "marginCall": "1.2", "critical": "1.05", "liquidation": "1.0"}


def mm(notional):
    """SPEC §2.2: tiered maintenance margin of a notional."""
    cum, prev = D(0), D(0)
    for k, (floor, cap, rate) in enumerate(TIERS):
        floor, rate = D(floor), D(rate)
        if k:
            cum += floor * (rate - prev)
        prev = rate
        if cap is None or notional < D(cap):
            return notional * rate - cum
    raise ValueError("notional past the last cap")


def ratio(collateral, size, entry, mark):
    return (collateral + size * (mark - entry)) / mm(size * mark)


def main():
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("n", type=int, metavar="N")
    cli.add_argument("out", metavar="OUT")
    cli.add_argument("--from", dest="start", default="40000")
    cli.add_argument("--to", dest="end", default="38000")
    cli.add_argument("--seed", type=int, default=7)
    a = cli.parse_args()
    start, end = D(a.start), D(a.end)
    rng = random.Random(a.seed)
    accounts = []
    for i in range(a.n):
        size = D(rng.uniform(0.05, 5.0)).quantize(D("0.001"), ROUND_HALF_UP)
        entry = (start * D(1 + rng.uniform(-0.005, 0.005))).quantize(D("0.01"), ROUND_HALF_UP)
        target = D(rng.uniform(1.07, 1.18))
        collateral = (target * mm(size * end) - size * (end - entry)).quantize(D("0.01"), ROUND_CEILING)
        r0, r1 = ratio(collateral, size, entry, start), ratio(collateral, size, entry, end)
        if not (r0 >= D("1.5") and D("1.05") <= r1 < D("1.2")):
            raise AssertionError(f"account {i}: ratio {r0} at {start}, {r1} at {end}")
        accounts.append({"accountId": f"crash-{i:06d}", "collateral": {"USDT": str(collateral)},
                         "positions": [{"instrument": "BTC-USD", "size": str(size), "entryPrice": str(entry)}]})
    doc = {
        "venue": {"id": "crash", "thresholds": THRESHOLDS, "hysteresis": "0.02", "gracePeriodSeconds": 600,
                  "finalNoticeSeconds": 300, "reminderSeconds": 300},
        "instruments": [{"symbol": "BTC-USD", "tiers": [{"floor": f, "cap": c, "mmr": r} for f, c, r in TIERS]}],
        "collateralAssets": [{"asset": "USDT", "haircut": "0"}],
        "accounts": accounts,
        "events": [
            {"at": "2026-03-01T12:00:00Z", "type": "PRICE", "instrument": "BTC-USD", "markPrice": str(start), "sequence": 1},
            {"at": "2026-03-01T12:00:01Z", "type": "PRICE", "instrument": "BTC-USD", "markPrice": str(end), "sequence": 2},
        ],
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
