package org.margincall.engine.bench;

import java.math.BigDecimal;
import java.util.Map;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.CollateralAsset;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.Thresholds;

/**
 * The straightforward way to do the kernel's job: every figure in BigDecimal, straight from the
 * domain records and decimal marks. Same output as {@code MarginKernel} (level with hysteresis);
 * the yardstick the kernel's speed is measured against.
 */
final class BigDecimalBaseline {
    private BigDecimalBaseline() {
    }

    static Level evaluate(Catalog catalog, Account account, Map<String, BigDecimal> marks, Level stored) {
        BigDecimal q = BigDecimal.ZERO;
        for (Map.Entry<String, BigDecimal> c : account.collateral().entrySet()) {
            CollateralAsset a = catalog.asset("collateral", c.getKey());
            BigDecimal price = a.quoteLike() ? BigDecimal.ONE : marks.get(a.priceInstrument());
            q = q.add(c.getValue().multiply(price).multiply(a.weight()));
        }
        BigDecimal mm = BigDecimal.ZERO;
        for (Position p : account.positions()) {
            BigDecimal mark = marks.get(p.instrument());
            q = q.add(p.size().multiply(mark.subtract(p.entryPrice())));
            BigDecimal notional = p.size().abs().multiply(mark);
            mm = mm.add(catalog.instrument(catalog.slot("instrument", p.instrument())).tiers()
                    .maintenance(p.instrument(), notional));
        }
        if (mm.signum() == 0) {
            return Level.HEALTHY;
        }
        Thresholds t = catalog.venue().thresholds();
        Level raw = level(q, mm, t, BigDecimal.ONE);
        if (raw.atLeastAsSevereAs(stored)) {
            return raw;
        }
        return Level.lessSevere(stored, level(q, mm, t, BigDecimal.ONE.add(catalog.venue().hysteresis())));
    }

    private static Level level(BigDecimal q, BigDecimal mm, Thresholds t, BigDecimal band) {
        if (q.compareTo(t.liquidation().multiply(band).multiply(mm)) <= 0) {
            return Level.LIQUIDATION;
        }
        if (q.compareTo(t.critical().multiply(band).multiply(mm)) < 0) {
            return Level.CRITICAL;
        }
        if (q.compareTo(t.marginCall().multiply(band).multiply(mm)) < 0) {
            return Level.MARGIN_CALL;
        }
        return q.compareTo(t.warning().multiply(band).multiply(mm)) < 0 ? Level.WARNING : Level.HEALTHY;
    }
}
