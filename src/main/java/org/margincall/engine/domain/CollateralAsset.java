package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.Set;

/**
 * An asset accepted as collateral (SPEC §2.3): valued at {@code amount * price * (1 - haircut)}.
 * Quote-like assets are worth 1; any other names the instrument whose mark prices it.
 *
 * @param priceInstrument null for quote-like assets
 */
public record CollateralAsset(String asset, BigDecimal haircut, String priceInstrument) {
    /** Assets valued at par in the quote currency. */
    public static final Set<String> QUOTE_LIKE = Set.of("USD", "USDT", "USDC");

    public CollateralAsset {
        if (asset == null || asset.isBlank()) {
            throw new InvalidInputException("collateralAssets[].asset", asset, "is required");
        }
        String f = "collateralAssets[" + asset + "]";
        Decimals.requirePresent(f + ".haircut", haircut);
        if (haircut.signum() < 0 || haircut.compareTo(BigDecimal.ONE) >= 0) {
            throw new InvalidInputException(f + ".haircut", haircut.toPlainString(), "must lie in [0, 1)");
        }
        if (priceInstrument == null && !QUOTE_LIKE.contains(asset)) {
            throw new InvalidInputException(f + ".priceInstrument", null,
                    "is required for a non-quote asset (quote-like: " + QUOTE_LIKE + ")");
        }
    }

    /** Value per unit after haircut, for quote-like assets; the price-independent factor otherwise. */
    public BigDecimal weight() {
        return BigDecimal.ONE.subtract(haircut);
    }

    public boolean quoteLike() {
        return priceInstrument == null;
    }
}
