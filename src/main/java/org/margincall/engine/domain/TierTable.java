package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.List;

/**
 * Tiered maintenance-margin brackets of one instrument (SPEC §2.2).
 *
 * <p>Bracket {@code k} covers notionals in {@code [floor_k, cap_k)} (quote currency) at rate
 * {@code mmr_k}; the maintenance amount {@code cum_k} is derived so that the requirement
 * {@code MM(N) = N * mmr_k - cum_k} is continuous in the notional. Exact values are kept for the
 * fallback path, doubles for the hot path.
 */
public final class TierTable {
    private final BigDecimal[] floors;
    private final BigDecimal[] caps; // last may be null (unbounded)
    private final BigDecimal[] rates;
    private final BigDecimal[] cums;
    private final double[] floorD;
    private final double[] capD; // +inf when unbounded
    private final double[] rateD;
    private final double[] cumD;

    /** One bracket as given by the venue; {@code cap} null means unbounded (last bracket only). */
    public record Tier(BigDecimal floor, BigDecimal cap, BigDecimal mmr) {
    }

    public TierTable(String instrument, List<Tier> tiers) {
        String base = "instruments[" + instrument + "].tiers";
        if (tiers == null || tiers.isEmpty()) {
            throw new InvalidInputException(base, tiers == null ? null : "[]", "needs at least one bracket");
        }
        int n = tiers.size();
        floors = new BigDecimal[n];
        caps = new BigDecimal[n];
        rates = new BigDecimal[n];
        cums = new BigDecimal[n];
        floorD = new double[n];
        capD = new double[n];
        rateD = new double[n];
        cumD = new double[n];
        for (int k = 0; k < n; k++) {
            Tier t = tiers.get(k);
            String f = base + "[" + k + "]";
            BigDecimal floor = Decimals.requirePresent(f + ".floor", t.floor());
            BigDecimal mmr = Decimals.requirePresent(f + ".mmr", t.mmr());
            if (k == 0 && floor.signum() != 0) {
                throw new InvalidInputException(f + ".floor", floor.toPlainString(), "the first bracket must start at 0");
            }
            if (k > 0 && caps[k - 1].compareTo(floor) != 0) {
                throw new InvalidInputException(f + ".floor", floor.toPlainString(),
                        (caps[k - 1].compareTo(floor) < 0 ? "leaves a gap after" : "overlaps")
                                + " the previous bracket's cap " + caps[k - 1].toPlainString());
            }
            if (mmr.signum() < 0 || mmr.compareTo(BigDecimal.ONE) > 0) {
                throw new InvalidInputException(f + ".mmr", mmr.toPlainString(), "must lie in [0, 1]");
            }
            if (k > 0 && mmr.compareTo(rates[k - 1]) < 0) {
                throw new InvalidInputException(f + ".mmr", mmr.toPlainString(),
                        "decreases from the previous bracket's " + rates[k - 1].toPlainString());
            }
            BigDecimal cap = t.cap();
            if (cap == null && k < n - 1) {
                throw new InvalidInputException(f + ".cap", null, "only the last bracket may be unbounded");
            }
            if (cap != null && cap.compareTo(floor) <= 0) {
                throw new InvalidInputException(f + ".cap", cap.toPlainString(),
                        "must be above the bracket's floor " + floor.toPlainString());
            }
            floors[k] = floor;
            caps[k] = cap;
            rates[k] = mmr;
            cums[k] = k == 0 ? BigDecimal.ZERO : cums[k - 1].add(floor.multiply(mmr.subtract(rates[k - 1])));
            floorD[k] = floor.doubleValue();
            capD[k] = cap == null ? Double.POSITIVE_INFINITY : cap.doubleValue();
            rateD[k] = mmr.doubleValue();
            cumD[k] = cums[k].doubleValue();
        }
    }

    public int size() {
        return floors.length;
    }

    public BigDecimal floor(int k) {
        return floors[k];
    }

    /** Exclusive cap of bracket k, or null when the last bracket is unbounded. */
    public BigDecimal cap(int k) {
        return caps[k];
    }

    public BigDecimal rate(int k) {
        return rates[k];
    }

    public BigDecimal cum(int k) {
        return cums[k];
    }

    public double floorD(int k) {
        return floorD[k];
    }

    public double capD(int k) {
        return capD[k];
    }

    public double rateD(int k) {
        return rateD[k];
    }

    public double cumD(int k) {
        return cumD[k];
    }

    /** Largest notional the table covers (exclusive), +inf when unbounded. */
    public double limitD() {
        return capD[capD.length - 1];
    }

    /** Bracket index for a notional in double; the caller has checked the bounded last cap. */
    public int bracketD(double notional) {
        int k = 0;
        while (k < floorD.length - 1 && notional >= floorD[k + 1]) {
            k++;
        }
        return k;
    }

    /** Maintenance requirement (quote) for a non-negative notional, in double. */
    public double maintenanceD(double notional) {
        int k = bracketD(notional);
        return notional * rateD[k] - cumD[k];
    }

    /** Exact bracket index; rejects a notional that reaches a bounded last cap (SPEC §2.2). */
    public int bracket(String instrument, BigDecimal notional) {
        int last = floors.length - 1;
        if (caps[last] != null && notional.compareTo(caps[last]) >= 0) {
            throw new InvalidInputException("notional[" + instrument + "]", notional.toPlainString(),
                    "reaches the last bracket's cap " + caps[last].toPlainString() + " of the tier table");
        }
        int k = 0;
        while (k < last && notional.compareTo(floors[k + 1]) >= 0) {
            k++;
        }
        return k;
    }

    /** Exact maintenance requirement (quote) for a non-negative notional. */
    public BigDecimal maintenance(String instrument, BigDecimal notional) {
        int k = bracket(instrument, notional);
        return notional.multiply(rates[k]).subtract(cums[k]);
    }
}
