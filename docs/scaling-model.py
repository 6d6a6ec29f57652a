#!/usr/bin/env python3
"""The arithmetic behind docs/scaling.md: a 1M-account venue, 3 instruments ticking once a second.
Every input is a named assumption below; change one and re-run (python3 docs/scaling-model.py)."""

DAY = 86_400
# ---- prices (us-east-1, on-demand; sources in docs/scaling.md) ----
RRU, WRU = 0.125e-6, 0.625e-6          # $ per read / write request unit
GBS, LREQ = 0.0000133334, 0.20e-6      # Lambda arm64 $ per GB-s, $ per request
SNS, SQS = 0.50e-6, 0.40e-6            # $ per request (64 KB chunk)
SFN = 0.025e-3                         # $ per state transition (standard)

# ---- venue ----
ACCOUNTS = 1_000_000
HOLDERS = {"BTC-USD": 650_000, "ETH-USD": 500_000, "SOL-USD": 450_000}   # 1.6 exposures per account
TICKS = 1                              # per instrument per second
EXPOSURES = sum(HOLDERS.values())
INSTR_PER_EVAL = EXPOSURES / ACCOUNTS  # instruments whose bands an evaluation rewrites (1.6)

# ---- item sizes ----
ACCOUNT_KB_TODAY, ACCOUNT_KB_BANDS = 1.0, 1.3
HOLDING_ROW_B, BAND_ROW_B, GSI_ENTRY_B = 150, 120, 100
VENUE_QUERY_RRU = 2                    # one strongly consistent Query of V#venue (~5 KB)

# ---- per-notice / per-crossing DynamoDB writes ----
CALL_SHARE = 0.16                      # MARGIN_CALL notices / all notices (quiet-venue replay: 2367/14644)
WRU_PER_NOTICE = 3 + 3 + CALL_SHARE * 2   # commit with outbox entry, outbox removal, escalation removal
ROW_WRITES_PER_CROSSING = 2 * 2 * INSTR_PER_EVAL   # L+H put and L+H delete per instrument
NOTICES_PER_CROSSING_QUIET = 0.6       # quiet: exact single-instrument bands => most crossings change a level

# ---- Lambda (1024 MB) per-account wall time, estimates ----
MS_READ_EVAL = 0.1                     # BatchGetItem share + decode + evaluate, no transition (0.05..0.3)
MS_BANDS = 0.1                         # compute bands + BatchWriteItem share, per evaluated account
MS_NOTICE = 3.0                        # commit, publish share, outbox removal, escalation start (16 threads overlap)
CHUNK = 500
SFN_TRANSITIONS = 5                    # 4 (cured before grace) .. 7 (runs its course)
RECHECK_GBS = 0.5 * 0.1 * 1.2          # 512 MB x 100 ms x 1.2 invocations per execution


def quiet(c, design):
    """Per-second figures of a quiet day: c = share of holders whose band a tick crosses."""
    crossed = c * EXPOSURES * TICKS
    notices = NOTICES_PER_CROSSING_QUIET * crossed
    calls = CALL_SHARE * notices
    r = {"crossed/s": crossed, "notices/s": notices, "calls/s": calls}
    per_tick = [h * c for h in HOLDERS.values()]
    if design == "today":
        chunks = sum(max(0, -(-h // CHUNK) - 1) for h in HOLDERS.values()) * TICKS
        gsi = EXPOSURES * GSI_ENTRY_B / 4096 * 0.5 * TICKS
        r["RRU/s"] = EXPOSURES * TICKS + gsi + (chunks + 3) * VENUE_QUERY_RRU
        r["WRU/s"] = notices * WRU_PER_NOTICE
        r["lambda conc"] = EXPOSURES * TICKS * MS_READ_EVAL / 1000 + notices * MS_NOTICE / 1000 + 3 * 0.5
        r["invocations/s"] = chunks + 3
        r["sqs req/s"] = chunks / 10 + 2 * chunks
    else:
        chunks = sum(max(0, -(-int(x) // CHUNK) - 1) for x in per_tick) * TICKS
        r["RRU/s"] = crossed + crossed * BAND_ROW_B / 4096 + 2 * 32 * 3 + (chunks + 3) * VENUE_QUERY_RRU
        r["WRU/s"] = notices * WRU_PER_NOTICE + crossed * ROW_WRITES_PER_CROSSING \
            + (crossed - notices) * 2   # account commit recording the new row keys (no transition)
        r["lambda conc"] = crossed * (MS_READ_EVAL + MS_BANDS) / 1000 + notices * MS_NOTICE / 1000 + 3 * 0.1
        r["invocations/s"] = chunks + 3
        r["sqs req/s"] = chunks / 10 + 2 * chunks
    r["sns req/s"] = notices / 10
    return r


def sweep(design):
    """RRU of one minute sweep: an eventually consistent Scan of every item, plus the holdings repair."""
    if design == "today":
        bytes_ = ACCOUNTS * ACCOUNT_KB_TODAY * 1024 + EXPOSURES * HOLDING_ROW_B
    else:
        bytes_ = ACCOUNTS * ACCOUNT_KB_BANDS * 1024 + EXPOSURES * HOLDING_ROW_B + 2 * EXPOSURES * BAND_ROW_B
    return bytes_ / 4096 * 0.5 + EXPOSURES * GSI_ENTRY_B / 4096 * 0.5, bytes_


def cost_day(r, design):
    sw, _ = sweep(design)
    c = {
        "DynamoDB reads": r["RRU/s"] * DAY * RRU,
        "sweep reads": sw * 1440 * RRU,
        "DynamoDB writes": r["WRU/s"] * DAY * WRU,
        "Lambda GB-s": (r["lambda conc"] * DAY + 2 * 40 * 1440) * GBS,
        "Lambda requests": (r["invocations/s"] * DAY + 1440) * LREQ,
        "SNS": r["sns req/s"] * DAY * SNS,
        "SQS": r["sqs req/s"] * DAY * SQS,
        "Step Functions": r["calls/s"] * DAY * SFN_TRANSITIONS * SFN,
        "re-check Lambda": r["calls/s"] * DAY * (RECHECK_GBS * GBS + 1.2 * LREQ),
    }
    c["total"] = sum(c.values())
    c["total without Step Functions"] = c["total"] - c["Step Functions"] - c["re-check Lambda"]
    return c


def print_quiet():
    for c in (0.01, 0.001):
        for d in ("today", "bands"):
            r = quiet(c, d)
            print(f"\n== quiet day, c = {c:.1%}, {d}")
            for k, v in r.items():
                print(f"  {k:16s} {v:14,.1f}")
            for k, v in cost_day(r, d).items():
                print(f"  ${k:30s} {v:12,.0f}")
    for d in ("today", "bands"):
        sw, b = sweep(d)
        print(f"sweep {d}: {b / 1e9:.2f} GB scanned, {sw:,.0f} RRU a minute, {sw / 60:,.0f} RRU/s")


# ---- the crash: -15 % on all three instruments over CRASH_S seconds ----
LONG_SHARE = 0.6                       # exposures that lose in a fall (quiet-venue: 60 % of positions long)
CROSSINGS_PER_LONG = 3                 # bands crossed per long exposure while it walks down the levels
MOVED_SHARE, NOTICES_PER_MOVED = 0.6, 2.5   # long exposures whose level changes, notices each
CALLED_SHARE = 0.4                     # long exposures that open a margin call
PEAK = 2.0                             # peak / average rate (the fall is front-loaded)
CRASH_TRANSITIONS = 7                  # crash calls run their course: 7 state transitions
BTC_SHARE = HOLDERS["BTC-USD"] / EXPOSURES


def crash(c, crash_s):
    longs = LONG_SHARE * EXPOSURES
    cross = CROSSINGS_PER_LONG * longs
    notices = MOVED_SHARE * longs * NOTICES_PER_MOVED
    calls = CALLED_SHARE * longs
    bg = quiet(c, "bands")
    peak = {"crossed/s": bg["crossed/s"] + PEAK * cross / crash_s,
            "notices/s": bg["notices/s"] + PEAK * notices / crash_s,
            "calls/s": bg["calls/s"] + PEAK * calls / crash_s}
    peak["bands WRU/s"] = peak["notices/s"] * WRU_PER_NOTICE + peak["crossed/s"] * ROW_WRITES_PER_CROSSING \
        + (peak["crossed/s"] - peak["notices/s"]) * 2
    peak["today WRU/s"] = peak["notices/s"] * WRU_PER_NOTICE
    peak["bands RRU/s"] = peak["crossed/s"] * (1 + BAND_ROW_B / 4096)
    peak["row WRU/s per instrument+kind (BTC)"] = peak["crossed/s"] * ROW_WRITES_PER_CROSSING * BTC_SHARE / 2
    peak["shards >= "] = peak["row WRU/s per instrument+kind (BTC)"] / 1000
    peak["bands lambda conc"] = peak["crossed/s"] * (MS_READ_EVAL + MS_BANDS) / 1000 + peak["notices/s"] * MS_NOTICE / 1000
    peak["today lambda conc"] = EXPOSURES * MS_READ_EVAL / 1000 + peak["notices/s"] * MS_NOTICE / 1000
    total = {"crossings": cross, "notices": notices, "calls": calls}
    inc = {
        "bands": cross * RRU + (notices * WRU_PER_NOTICE + cross * ROW_WRITES_PER_CROSSING + (cross - notices) * 2) * WRU
        + (cross * (MS_READ_EVAL + MS_BANDS) + notices * MS_NOTICE) / 1000 * GBS,
        "today": notices * WRU_PER_NOTICE * WRU + notices * MS_NOTICE / 1000 * GBS,
        "both: SFN + re-check + SNS": calls * CRASH_TRANSITIONS * SFN + calls * 2 * (0.05 * GBS + LREQ) + notices / 10 * SNS,
    }
    return total, peak, inc


def print_crash():
    for c in (0.001, 0.01):
        for s in (600, 60):
            total, peak, inc = crash(c, s)
            print(f"\n== crash over {s} s on a c = {c:.1%} background")
            for k, v in {**total, **peak}.items():
                print(f"  {k:40s} {v:14,.1f}")
            for k, v in inc.items():
                print(f"  ${k:39s} {v:14,.2f}")


if __name__ == "__main__":
    print_quiet()
    print_crash()
