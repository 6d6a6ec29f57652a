#!/usr/bin/env python3
"""Writes scenarios/sample-crash.json: a BTC crash in two legs with flat hours between, calibrated
so each account tells one story (see the table at the bottom). Exact decimals throughout."""
import json
from decimal import Decimal as D, ROUND_HALF_UP, ROUND_CEILING

BTC_TIERS = [("0", "50000", "0.004"), ("50000", "250000", "0.005"), ("250000", None, "0.01")]
ETH_TIERS = [("0", "50000", "0.0065"), ("50000", None, "0.008125")]
TIERS = {"BTC-USD": BTC_TIERS, "ETH-USD": ETH_TIERS}

def mm(inst, notional):
    cum, prev = D(0), D(0)
    for k, (floor, cap, rate) in enumerate(TIERS[inst]):
        floor, rate = D(floor), D(rate)
        if k:
            cum += floor * (rate - prev)
        prev = rate
        if cap is None or notional < D(cap):
            return notional * rate - cum
    raise ValueError("notional past the last cap")

def path(points):
    """Piecewise-linear minute path from (minute, price) knots."""
    out = {}
    for (m0, p0), (m1, p1) in zip(points, points[1:]):
        for m in range(m0, m1 + 1):
            out[m] = (D(p0) + (D(p1) - D(p0)) * (m - m0) / (m1 - m0)).quantize(D("0.01"), ROUND_HALF_UP)
    return out

BTC = path([(0, 40000), (15, 37000), (35, 37000), (45, 31000), (60, 31000)])
ETH = path([(0, 2500), (15, 2350), (35, 2350), (45, 2150), (60, 2150)])
BTC[61] = D("29600.00")   # a one-minute wick: -26 % from the top
BTC[62] = D("30950.00")

def ts(minute, second=0):
    return f"2026-03-12T{9 + minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"

def collateral_for(ratio, positions, marks):
    """Quote collateral that puts the cross account at `ratio` at `marks`."""
    q = sum(D(s) * (marks[i] - D(e)) for i, s, e in positions)
    req = sum(mm(i, abs(D(s)) * marks[i]) for i, s, e in positions)
    return (D(ratio) * req - q).quantize(D("0.01"), ROUND_CEILING)

flat1 = {"BTC-USD": BTC[20], "ETH-USD": ETH[20]}
flat2 = {"BTC-USD": BTC[50], "ETH-USD": ETH[50]}
accounts = []
def cross(aid, ratio, positions, at=flat1, extra=None):
    c = {"USDT": str(collateral_for(ratio, positions, at))}
    c.update(extra or {})
    accounts.append({"accountId": aid, "collateral": c,
                     "positions": [{"instrument": i, "size": s, "entryPrice": e} for i, s, e in positions]})

# story: ignores its margin call in the first flat hour -> final notice and hand-off on the clock
cross("alice", "1.15", [("BTC-USD", "2.5", "40000")])
# story: margin call, cured by a deposit during the grace period
cross("bob", "1.16", [("BTC-USD", "1.2", "39950")])
# story: ETH long in margin call, cured by reducing the position
cross("carol", "1.17", [("ETH-USD", "30", "2490")])
# story: warning in the first flat, second leg takes it to liquidation (ratio hand-off)
cross("dave", "1.40", [("BTC-USD", "1.5", "40010")])
# story: short BTC, long ETH: the crash helps it, it stays healthy
cross("erin", "3.0", [("BTC-USD", "-1.0", "40000"), ("ETH-USD", "20", "2500")])
# story: healthy until the wick hands it off, then recovers (cured)
cross("gina", "1.9", [("BTC-USD", "3.0", "39900")], at=flat2)
# story: isolated BTC long: its own margin only, warned then called in the second leg
iso_pos = ("BTC-USD", "1.5", "40010")
iso_margin = collateral_for("1.6", [iso_pos], flat1)
accounts.append({"accountId": "heidi", "collateral": {"USDT": "50000"},
                 "positions": [{"instrument": "BTC-USD", "size": "1.5", "entryPrice": "40010", "isolatedMargin": str(iso_margin)}]})
# story: exposed only through collateral: short ETH held against BTC, the BTC falls faster
accounts.append({"accountId": "frank", "collateral": {"BTC": "0.0315"},
                 "positions": [{"instrument": "ETH-USD", "size": "-12", "entryPrice": "2500"}]})

# The crowd: 42 more accounts of every kind, leverage spread so the crash walks them through the
# levels at different moments (deterministic: a fixed seed).
import random
rng = random.Random(20260312)
for n in range(42):
    kind = n % 6
    aid = f"crowd-{n:02d}"
    ratio = str(D(rng.uniform(1.3, 4.0)).quantize(D("0.01")))
    if kind == 0:   # cross, long BTC
        cross(aid, ratio, [("BTC-USD", str(D(rng.uniform(0.2, 3)).quantize(D("0.001"))), "40000")])
    elif kind == 1:  # cross, long ETH
        cross(aid, ratio, [("ETH-USD", str(D(rng.uniform(2, 40)).quantize(D("0.01"))), "2500")])
    elif kind == 2:  # cross, long both
        cross(aid, ratio, [("BTC-USD", str(D(rng.uniform(0.2, 2)).quantize(D("0.001"))), "40000"),
                           ("ETH-USD", str(D(rng.uniform(2, 20)).quantize(D("0.01"))), "2500")])
    elif kind == 3:  # cross, short ETH hedged by long BTC
        cross(aid, ratio, [("BTC-USD", str(D(rng.uniform(0.5, 2)).quantize(D("0.001"))), "40000"),
                           ("ETH-USD", str(-D(rng.uniform(2, 10)).quantize(D("0.01"))), "2500")])
    elif kind == 4:  # isolated long BTC
        size = D(rng.uniform(0.2, 2)).quantize(D("0.001"))
        margin = collateral_for(ratio, [("BTC-USD", str(size), "40000")], {"BTC-USD": BTC[0], "ETH-USD": ETH[0]})
        accounts.append({"accountId": aid, "collateral": {"USDT": "1000"},
                         "positions": [{"instrument": "BTC-USD", "size": str(size), "entryPrice": "40000",
                                        "isolatedMargin": str(max(margin, D("1")))}]})
    else:            # BTC as collateral, long ETH: the crash shrinks both
        accounts.append({"accountId": aid, "collateral": {"BTC": str(D(rng.uniform(0.05, 0.3)).quantize(D("0.0001")))},
                         "positions": [{"instrument": "ETH-USD", "size": str(D(rng.uniform(2, 15)).quantize(D("0.01"))),
                                        "entryPrice": "2500"}]})

events = []
for m in sorted(BTC):
    events.append({"at": ts(m), "type": "PRICE", "instrument": "BTC-USD", "markPrice": str(BTC[m]), "sequence": m + 1})
for m in sorted(ETH):
    events.append({"at": ts(m, 1), "type": "PRICE", "instrument": "ETH-USD", "markPrice": str(ETH[m]), "sequence": m + 1})
events += [
    {"at": ts(22, 20), "type": "DEPOSIT", "accountId": "bob", "asset": "USDT", "amount": "400"},
    {"at": ts(23, 20), "type": "REDUCE", "accountId": "carol", "instrument": "ETH-USD", "size": "-15"},
]
events.sort(key=lambda e: e["at"])
doc = {"venue": {"id": "demo", "thresholds": {"warning": "1.5", "marginCall": "1.2", "critical": "1.05", "liquidation": "1.0"},
                 "hysteresis": "0.02", "gracePeriodSeconds": 600, "finalNoticeSeconds": 300, "reminderSeconds": 300},
       "instruments": [{"symbol": s, "tiers": [{"floor": f, "cap": c, "mmr": r} for f, c, r in t]} for s, t in TIERS.items()],
       "collateralAssets": [{"asset": "USDT", "haircut": "0"}, {"asset": "BTC", "haircut": "0.1", "priceInstrument": "BTC-USD"}],
       "accounts": accounts, "events": events}
with open(__file__.replace("make-sample.py", "sample-crash.json"), "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")

# The wick: a flat market, one tick 0.2 % down (these books are thin), recovered on the next. Warnings and calls open and
# close within two minutes; nobody should stay in a call.
wick_events = []
marks = [D("40000")] * 10 + [D("39920")] + [D("40000")] * 10
for m, price in enumerate(marks):
    wick_events.append({"at": ts(m), "type": "PRICE", "instrument": "BTC-USD", "markPrice": str(price), "sequence": m + 1})
    wick_events.append({"at": ts(m, 1), "type": "PRICE", "instrument": "ETH-USD", "markPrice": "2500.00", "sequence": m + 1})
flat = {"BTC-USD": D("40000"), "ETH-USD": D("2500")}
wick_accounts = []
for n, ratio in enumerate(["1.55", "1.7", "1.9", "2.2", "3.0", "5.0"]):
    pos = [("BTC-USD", "1.5", "40000")]
    wick_accounts.append({"accountId": f"wick-{n}", "collateral": {"USDT": str(collateral_for(ratio, pos, flat))},
                          "positions": [{"instrument": i, "size": q, "entryPrice": e} for i, q, e in pos]})
wick = dict(doc, accounts=wick_accounts, events=wick_events)
with open(__file__.replace("make-sample.py", "wick.json"), "w") as f:
    json.dump(wick, f, indent=1)
    f.write("\n")
