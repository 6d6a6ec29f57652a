#!/usr/bin/env python3
"""Writes scenarios/sample-crash.json: a BTC crash in two legs with flat hours between, calibrated
so each account tells one story (see the table at the bottom). Exact decimals throughout.
Also writes scenarios/wick.json, scenarios/protection.json (see protection() below) and
scenarios/quiet-venue.json (see quiet_venue() below).

    scenarios/make-sample.py                      # all four
    scenarios/make-sample.py --quiet-venue        # only scenarios/quiet-venue.json (400 accounts)
    scenarios/make-sample.py --accounts 10000     # only scenarios/quiet-venue-10000.json (not committed)"""
import argparse
import json
import math
import sys
from decimal import Decimal as D, ROUND_HALF_UP, ROUND_CEILING

_cli = argparse.ArgumentParser(description="Writes the sample scenarios (all four without options).")
_cli.add_argument("--quiet-venue", action="store_true",
                  help="write only scenarios/quiet-venue.json (see quiet_venue())")
_cli.add_argument("--accounts", type=int, metavar="N",
                  help="write only the quiet venue with N accounts, as scenarios/quiet-venue-N.json (not committed)")
ARGS = _cli.parse_args()
if ARGS.accounts is not None and ARGS.accounts < 1:
    _cli.error("--accounts must be at least 1")
WRITE_ALL = not ARGS.quiet_venue and ARGS.accounts is None

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
if WRITE_ALL:
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
if WRITE_ALL:
    with open(__file__.replace("make-sample.py", "wick.json"), "w") as f:
        json.dump(wick, f, indent=1)
        f.write("\n")


def protection():
    """scenarios/protection.json: the three trader protections (SPEC §3.5 wick guard, §3.6 deposits in flight,
    §4 liquidation risk) on a quiet market. Three instruments tick every 20 s with a small, mean-reverting noise,
    so every notice after the first 8 minutes carries the one-hour liquidation probability (>= 20 returns). Stories:
      wick       BTC long: one tick 8 % down (no index; |move| > maxTickMove: suspect) would liquidate it; held at
                 CRITICAL (FINAL_NOTICE, priceSuspect), the price comes back on the next tick: cured.
      index      ETH long: the mark prints 4 % under the index (|mark/index - 1| > maxMarkIndexDeviation: suspect,
                 although a 4 % move alone is below maxTickMove); held, then back in line with the index: cured.
      watch      SOL long: a slow 1.3 % slide (150 -> 148 over minutes 8-12) takes it to a warning; the notice
                 tells the odds of touching its liquidation price within the hour (31 %, worked out in the README).
      dep-saved  SOL long: the slide opens a call; a wire in flight covers it, so the grace step is postponed to
                 its expectedBy; it is credited (settles) after the moment it would have been handed off: cured.
      dep-lost   the same call and wire, which never arrives: postponed, expires, then the clock runs as usual.
    Reminders every 480 s show the postponed deadline. Existing samples above are written unchanged."""
    tiers = {"BTC-USD": BTC_TIERS, "ETH-USD": ETH_TIERS, "SOL-USD": [("0", "500000", "0.03"), ("500000", None, "0.05")]}
    start = 10 * 3600  # 10:00:00

    def at(seconds):
        s = start + seconds
        return f"2026-06-15T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z"

    def mm_of(inst, notional):
        cum, prev = D(0), D(0)
        for k, (floor, cap, rate) in enumerate(tiers[inst]):
            floor, rate = D(floor), D(rate)
            if k:
                cum += floor * (rate - prev)
            prev = rate
            if cap is None or notional < D(cap):
                return notional * rate - cum
        raise ValueError("notional past the last cap")

    def usdt_for(ratio, inst, size, entry, mark):
        """Quote collateral that puts a one-position cross account at `ratio` at `mark`."""
        size, entry, mark = D(size), D(entry), D(mark)
        return (D(ratio) * mm_of(inst, abs(size) * mark) - size * (mark - entry)).quantize(D("0.01"), ROUND_CEILING)

    # mean-reverting noise, basis points around the instrument's level (cycled; rms step about 8 bp)
    noise = [0, 6, -3, 8, 2, -5, 4, -7, 1, -2, 7, -4, 3, -6, 5, -1]
    end = 36 * 60
    ticks = range(0, end + 1, 20)

    def level(base, k, slide=None):
        b = D(base)
        if slide is not None:
            t0, t1, to = slide
            t = ticks[k]
            b = b + (D(to) - b) * min(max(D(t - t0) / D(t1 - t0), D(0)), D(1))
        return b * (1 + D(noise[k % len(noise)]) / 10000)

    btc = {t: level("60000", k).quantize(D("0.1"), ROUND_HALF_UP) for k, t in enumerate(ticks)}
    btc[12 * 60] = (btc[12 * 60 - 20] * D("0.92")).quantize(D("0.1"), ROUND_HALF_UP)   # the wick: one tick, -8 %
    eth_index = {t: level("3000", k).quantize(D("0.01"), ROUND_HALF_UP) for k, t in enumerate(ticks)}
    eth = {t: (eth_index[t] * (1 + D(noise[(k + 5) % len(noise)]) / 50000)).quantize(D("0.01"), ROUND_HALF_UP)
           for k, t in enumerate(ticks)}   # the mark within 2 bp of the index
    eth[14 * 60] = (eth_index[14 * 60] * D("0.96")).quantize(D("0.01"), ROUND_HALF_UP)  # 4 % under the index
    sol = {t: level("150", k, slide=(8 * 60, 12 * 60, "148")).quantize(D("0.001"), ROUND_HALF_UP)
           for k, t in enumerate(ticks)}

    accounts = [
        {"accountId": "wick", "collateral": {"USDT": str(usdt_for("4", "BTC-USD", "1", "60000", "60000"))},
         "positions": [{"instrument": "BTC-USD", "size": "1", "entryPrice": "60000"}]},
        {"accountId": "index", "collateral": {"USDT": str(usdt_for("3", "ETH-USD", "10", "3000", "3000"))},
         "positions": [{"instrument": "ETH-USD", "size": "10", "entryPrice": "3000"}]},
        {"accountId": "watch", "collateral": {"USDT": str(usdt_for("1.82", "SOL-USD", "200", "150", "150"))},
         "positions": [{"instrument": "SOL-USD", "size": "200", "entryPrice": "150"}]},
    ]
    for aid in ("dep-saved", "dep-lost"):
        accounts.append({"accountId": aid, "collateral": {"USDT": str(usdt_for("1.6", "SOL-USD", "200", "150", "150"))},
                         "positions": [{"instrument": "SOL-USD", "size": "200", "entryPrice": "150"}]})

    events = []
    for k, t in enumerate(ticks):
        events.append({"at": at(t), "type": "PRICE", "instrument": "BTC-USD", "markPrice": str(btc[t]), "sequence": k + 1})
        events.append({"at": at(t + 5), "type": "PRICE", "instrument": "ETH-USD", "markPrice": str(eth[t]),
                       "indexPrice": str(eth_index[t]), "sequence": k + 1})
        events.append({"at": at(t + 10), "type": "PRICE", "instrument": "SOL-USD", "markPrice": str(sol[t]), "sequence": k + 1})
    # the SOL tick at which the slide opens the two calls: the first with R < marginCall
    dep = accounts[-1]
    q, e, c = D("200"), D("150"), D(dep["collateral"]["USDT"])
    call = next(t for t in ticks if (c + q * (sol[t] - e)) / mm_of("SOL-USD", q * sol[t]) < D("1.2")) + 10
    events += [
        {"at": at(call + 120), "type": "PENDING_DEPOSIT", "accountId": "dep-saved", "asset": "USDT", "amount": "500",
         "reference": "wire-7781", "expectedBy": at(call + 1200)},
        {"at": at(call + 120), "type": "PENDING_DEPOSIT", "accountId": "dep-lost", "asset": "USDT", "amount": "500",
         "reference": "wire-7782", "expectedBy": at(call + 1080)},
        {"at": at(call + 1020), "type": "DEPOSIT", "accountId": "dep-saved", "asset": "USDT", "amount": "500",
         "settles": "wire-7781"},
    ]
    events.sort(key=lambda e: e["at"])
    venue = {"id": "demo-protect", "thresholds": {"warning": "1.5", "marginCall": "1.2", "critical": "1.05", "liquidation": "1.0"},
             "hysteresis": "0.02", "gracePeriodSeconds": 600, "finalNoticeSeconds": 300, "reminderSeconds": 480,
             "wickGuard": {"maxTickMove": "0.05", "maxMarkIndexDeviation": "0.03", "windowSeconds": 60, "holdSeconds": 30},
             "maxPendingCreditSeconds": 1200, "volatilityHalfLifeSeconds": 1800}
    return {"venue": venue,
            "instruments": [{"symbol": s, "tiers": [{"floor": f, "cap": c, "mmr": r} for f, c, r in t]} for s, t in tiers.items()],
            "collateralAssets": [{"asset": "USDT", "haircut": "0"}],
            "accounts": accounts, "events": events}


if WRITE_ALL:
    with open(__file__.replace("make-sample.py", "protection.json"), "w") as f:
        json.dump(protection(), f, indent=1)
        f.write("\n")


QV_TIERS = {"BTC-USD": BTC_TIERS, "ETH-USD": ETH_TIERS, "SOL-USD": [("0", "500000", "0.03"), ("500000", None, "0.05")]}
QV_THRESHOLDS = {"warning": "1.5", "marginCall": "1.2", "critical": "1.05", "liquidation": "1.0"}
QV_BTC_HAIRCUT = D("0.1")


def qv_mm(inst, notional):
    cum, prev = D(0), D(0)
    for k, (floor, cap, rate) in enumerate(QV_TIERS[inst]):
        floor, rate = D(floor), D(rate)
        if k:
            cum += floor * (rate - prev)
        prev = rate
        if cap is None or notional < D(cap):
            return notional * rate - cum
    raise ValueError("notional past the last cap")


def quiet_venue(n_accounts=400, seed=20260701):
    """scenarios/quiet-venue.json: an hour of a quiet tape on a venue of n_accounts accounts, for measuring what a
    price event costs (SPEC §10) when little changes. Three instruments (BTC-USD, ETH-USD, SOL-USD) tick once a
    second, at .000, .333 and .667 past the second, each a seeded random walk with per-second log-returns
    N(0, 0.0003) (about 3 bp a second, 1.8 % an hour) from 60000, 3000 and 150. The price path depends on `seed`
    only, not on n_accounts; accounts come from their own stream, so the first 400 accounts of a larger venue are
    the 400 of the default one.
    Accounts (at the opening marks, every (sub-)account's collateral ratio is set to a target):
      about 40 %  cross, one position (BTC, ETH or SOL), quote collateral;
      about 22 %  cross, two or three positions, random sides;
      about 14 %  one isolated position, half of them also a cross position;
      about 14 %  BTC collateral (haircut 0.1) with some USDT, one or two positions;
      and about 4 % of all accounts, drawn before the kind, are cross with one position and their own warning
      (1.3, 1.8 or 2.0).
    Targets: about 30 % of the (sub-)accounts start within 10 % of a threshold (their warning, marginCall or
    critical, at -4 % .. +10 % of it), the others log-uniformly between 1.7 (above 110 % of their warning) and 100 (20x
    leverage on BTC is about 12).
    Notionals are log-uniform, 2 000 to 300 000 USD a position; entry prices within 1 % of the opening mark."""
    start = 12 * 3600
    seconds = 3600
    insts = [("BTC-USD", "60000", "0.1", "0.001", 0), ("ETH-USD", "3000", "0.01", "0.01", 333),
             ("SOL-USD", "150", "0.001", "0.1", 667)]

    def at(second, ms):
        s = start + second
        return f"2026-07-01T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms:03d}Z"

    prng = random.Random(seed)
    paths = {}
    for inst, base, tick, _, _ in insts:
        x, out = 0.0, []
        for t in range(seconds):
            if t:
                x += prng.gauss(0.0, 0.0003)
            out.append((D(base) * D(math.exp(x))).quantize(D(tick), ROUND_HALF_UP))
        paths[inst] = out
    marks = {inst: paths[inst][0] for inst, *_ in insts}
    lots = {inst: D(lot) for inst, _, _, lot, _ in insts}

    rng = random.Random(seed + 1)
    thresholds = {k: D(v) for k, v in QV_THRESHOLDS.items()}

    def target(warning):
        """A target collateral ratio: near a threshold (30 %) or clear of every one."""
        if rng.random() < 0.3:
            t = rng.choices([warning, thresholds["marginCall"], thresholds["critical"]], weights=[5, 3, 2])[0]
            return (t * D(1 + rng.uniform(-0.04, 0.10))).quantize(D("0.001"), ROUND_HALF_UP)
        low = max(1.7, float(warning) * 1.12)
        return D(math.exp(rng.uniform(math.log(low), math.log(100)))).quantize(D("0.01"), ROUND_HALF_UP)

    def position(inst, side=None):
        notional = math.exp(rng.uniform(math.log(2000), math.log(300000)))
        size = (D(notional) / marks[inst]).quantize(lots[inst], ROUND_HALF_UP)
        size = max(size, lots[inst])
        if side is None:
            side = 1 if rng.random() < 0.6 else -1
        entry = (marks[inst] * D(1 + rng.uniform(-0.01, 0.01))).quantize(D("0.01"), ROUND_HALF_UP)
        return [inst, size * side, entry]

    def pnl(ps):
        return sum(q * (marks[i] - e) for i, q, e in ps)

    def req(ps):
        return sum(qv_mm(i, abs(q) * marks[i]) for i, q, e in ps)

    def fund(ratio, ps, other=D(0)):
        """Quote amount putting positions `ps` at `ratio` given `other` collateral value; entries moved to the mark
        where the winners' PnL alone would exceed the target equity (no negative balances)."""
        need = (ratio * req(ps) - pnl(ps) - other).quantize(D("0.01"), ROUND_CEILING)
        if need < 0:
            for p in ps:
                p[2] = marks[p[0]]
            need = (ratio * req(ps) - other).quantize(D("0.01"), ROUND_CEILING)
        return need

    def pos_json(ps, isolated=None):
        out = []
        for i, q, e in ps:
            p = {"instrument": i, "size": str(q), "entryPrice": str(e)}
            if isolated is not None:
                p["isolatedMargin"] = str(isolated)
            out.append(p)
        return out

    accounts, subs = [], []   # subs: (kind, own warning, ratio at the opening marks)
    names = [i for i, *_ in insts]
    for n in range(n_accounts):
        aid = f"qv-{n:05d}"
        u = rng.random()
        warning = thresholds["warning"]
        own = None
        if rng.random() < 0.04:
            own = rng.choice(["1.3", "1.8", "2.0"])
            warning = D(own)
        account = {"accountId": aid}
        if u < 0.40 or own is not None:
            kind = "cross-1"
            ps = [position(rng.choices(names, weights=[45, 30, 25])[0])]
            ratio = target(warning)
            account["collateral"] = {"USDT": str(fund(ratio, ps))}
            account["positions"] = pos_json(ps)
            cross = ps
            btc = D(0)
        elif u < 0.62:
            kind = "cross-multi"
            ps = [position(i) for i in rng.sample(names, rng.choice([2, 3]))]
            ratio = target(warning)
            account["collateral"] = {"USDT": str(fund(ratio, ps))}
            account["positions"] = pos_json(ps)
            cross, btc = ps, D(0)
        elif u < 0.76:
            kind = "isolated"
            iso = [position(rng.choice(names))]
            margin = fund(target(warning), iso)
            account["collateral"] = {"USDT": str(D(rng.randrange(1000, 20000)))}
            account["positions"] = pos_json(iso, isolated=margin)
            cross, btc = [], D(0)
            subs.append(("isolated", warning, (margin + pnl(iso)) / req(iso)))
            if rng.random() < 0.5:
                other = [i for i in names if i != iso[0][0]]
                ps = [position(rng.choice(other))]
                account["collateral"] = {"USDT": str(fund(target(warning), ps))}
                account["positions"] = pos_json(ps) + account["positions"]
                cross, kind = ps, "cross-beside-isolated"
        else:
            kind = "btc-collateral"
            ps = [position(i) for i in rng.sample(names, rng.choice([1, 1, 2]))]
            ratio = target(warning)
            equity = ratio * req(ps) - pnl(ps)
            share = D(rng.uniform(0.3, 1.0))
            btc = max((equity * share / (marks["BTC-USD"] * (1 - QV_BTC_HAIRCUT))).quantize(D("0.0001"), ROUND_HALF_UP),
                      D("0.0001"))
            value = btc * marks["BTC-USD"] * (1 - QV_BTC_HAIRCUT)
            usdt = fund(ratio, ps, other=value)
            if usdt < 0:
                usdt = D("0.00")
            account["collateral"] = {"USDT": str(usdt), "BTC": str(btc)}
            account["positions"] = pos_json(ps)
            cross = ps
        if own is not None:
            account["warning"] = own
        if cross:
            c = D(account["collateral"]["USDT"]) + btc * marks["BTC-USD"] * (1 - QV_BTC_HAIRCUT)
            subs.append((kind, warning, (c + pnl(cross)) / req(cross)))
        accounts.append(account)

    events = []
    for t in range(seconds):
        for inst, _, _, _, ms in insts:
            events.append({"at": at(t, ms), "type": "PRICE", "instrument": inst, "markPrice": str(paths[inst][t]),
                           "sequence": t + 1})
    venue = {"id": "quiet", "thresholds": dict(QV_THRESHOLDS), "hysteresis": "0.02", "gracePeriodSeconds": 600,
             "finalNoticeSeconds": 300, "reminderSeconds": 300}
    doc = {"venue": venue,
           "instruments": [{"symbol": s, "tiers": [{"floor": f, "cap": c, "mmr": r} for f, c, r in t]}
                           for s, t in QV_TIERS.items()],
           "collateralAssets": [{"asset": "USDT", "haircut": "0"},
                                {"asset": "BTC", "haircut": str(QV_BTC_HAIRCUT), "priceInstrument": "BTC-USD"}],
           "accounts": accounts, "events": events}
    near = [s for s in subs if any(abs(s[2] / t - 1) <= D("0.1")
                                   for t in (s[1], thresholds["marginCall"], thresholds["critical"], thresholds["liquidation"]))]
    kinds = {}
    for s in subs:
        kinds[s[0]] = kinds.get(s[0], 0) + 1
    moves = {i: (paths[i][-1] / paths[i][0] - 1) * 100 for i in names}
    stats = {"accounts": len(accounts), "subAccounts": len(subs), "nearThreshold": len(near),
             "nearThresholdShare": round(len(near) / len(subs), 3), "subAccountsByKind": kinds,
             "ownWarning": sum(1 for a in accounts if "warning" in a), "events": len(events),
             "hourMovePct": {i: float(round(m, 2)) for i, m in moves.items()}}
    if len(near) < D("0.2") * len(subs):
        raise AssertionError(f"only {len(near)} of {len(subs)} (sub-)accounts within 10 % of a threshold")
    return doc, stats


_n = ARGS.accounts
_name = "quiet-venue.json" if _n is None else f"quiet-venue-{_n}.json"
_doc, _stats = quiet_venue() if _n is None else quiet_venue(_n)
with open(__file__.replace("make-sample.py", _name), "w") as f:
    json.dump(_doc, f, indent=1)
    f.write("\n")
print(f"wrote scenarios/{_name}: {json.dumps(_stats)}", file=sys.stderr)
