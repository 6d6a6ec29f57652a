package org.margincall.engine.domain;

import java.math.BigDecimal;

/**
 * The ratio boundaries one sub-account is judged by: the venue's thresholds with the account's
 * own warning applied (SPEC §3.1), each also multiplied by {@code 1 + h} for hysteresis (§3.2)
 * and for the cure targets of §4. Index 0..3 = WARNING, MARGIN_CALL, CRITICAL, LIQUIDATION.
 */
public final class LevelBands {
    static final Level[] ENTERED = {Level.WARNING, Level.MARGIN_CALL, Level.CRITICAL, Level.LIQUIDATION};

    final BigDecimal[] raw = new BigDecimal[4];
    final BigDecimal[] banded = new BigDecimal[4];
    final double[] rawD = new double[4];
    final double[] bandedD = new double[4];
    private final Thresholds thresholds;
    private final BigDecimal onePlusH;

    public LevelBands(Thresholds thresholds, BigDecimal hysteresis) {
        this.thresholds = thresholds;
        this.onePlusH = BigDecimal.ONE.add(hysteresis);
        for (int i = 0; i < 4; i++) {
            raw[i] = thresholds.boundaryOf(ENTERED[i]);
            banded[i] = raw[i].multiply(onePlusH);
            rawD[i] = raw[i].doubleValue();
            bandedD[i] = banded[i].doubleValue();
        }
    }

    public Thresholds thresholds() {
        return thresholds;
    }

    /** {@code warning * (1 + h)}: the ratio that ends an episode (SPEC §4 requiredDeposit). */
    public BigDecimal episodeCureTarget() {
        return banded[0];
    }

    /** {@code marginCall * (1 + h)}: the ratio that closes a call (SPEC §4 minimumDeposit). */
    public BigDecimal callCureTarget() {
        return banded[1];
    }
}
