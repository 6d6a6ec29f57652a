#!/usr/bin/env python3
"""Writes an accounts snapshot (JSON Lines, schema/account-snapshot-v1) for the sample venue `demo`
(scenarios/sample-crash.json: BTC-USD and ETH-USD, USDT and BTC collateral) on stdout.

Usage: infra/bench/make-accounts.py N [SEQUENCE] [SEED]

Account ids acct-000000 ... ; each holds one or two positions near the sample's first marks
(BTC 40000, ETH 2200), USDT between 2 % and 20 % of its notional, a quarter also BTC collateral,
a tenth an isolated ETH position; every line carries `sequence` SEQUENCE (default 1). The same
arguments give the same bytes.
"""
import json
import random
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    sequence = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    out = sys.stdout
    for i in range(n):
        btc = round(rnd.uniform(0.05, 1.5), 3) * (1 if rnd.random() < 0.75 else -1)
        notional = abs(btc) * 40000
        positions = [{"instrument": "BTC-USD", "size": f"{btc:.3f}", "entryPrice": "40000"}]
        if rnd.random() < 0.1:
            eth = round(rnd.uniform(1, 10), 2)
            positions.append({"instrument": "ETH-USD", "size": f"{eth:.2f}", "entryPrice": "2200",
                              "isolatedMargin": f"{eth * 2200 * 0.1:.2f}"})
        collateral = {"USDT": f"{notional * rnd.uniform(0.02, 0.2):.2f}"}
        if rnd.random() < 0.25:
            collateral["BTC"] = f"{rnd.uniform(0.001, 0.05):.4f}"
        line = {"accountId": f"acct-{i:06d}", "sequence": sequence, "collateral": collateral, "positions": positions}
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
