package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * Latest mark price per instrument of one catalog, quote per base unit. Keeps the exact decimal
 * for the fallback path beside the double the hot path reads.
 */
public final class Marks {
    private final Catalog catalog;
    private final double[] prices;
    private final BigDecimal[] exact;

    public Marks(Catalog catalog) {
        this.catalog = catalog;
        this.prices = new double[catalog.instrumentCount()];
        this.exact = new BigDecimal[catalog.instrumentCount()];
        Arrays.fill(prices, Double.NaN);
    }

    private Marks(Marks other) {
        this.catalog = other.catalog;
        this.prices = other.prices.clone();
        this.exact = other.exact.clone();
    }

    /** Sets a mark; the price must be a positive finite decimal (SPEC §5.1). Returns this. */
    public Marks put(String symbol, BigDecimal price) {
        int slot = catalog.slot("marks.instrument", symbol);
        Decimals.positive("markPrice[" + symbol + "]", price);
        prices[slot] = price.doubleValue();
        exact[slot] = price;
        return this;
    }

    public Marks put(String symbol, String price) {
        return put(symbol, Decimals.parse("markPrice[" + symbol + "]", price));
    }

    public Marks copy() {
        return new Marks(this);
    }

    public Catalog catalog() {
        return catalog;
    }

    public boolean has(int slot) {
        return exact[slot] != null;
    }

    public double price(int slot) {
        return prices[slot];
    }

    public BigDecimal exact(int slot) {
        return exact[slot];
    }

    public BigDecimal exact(String symbol) {
        return exact[catalog.slot("instrument", symbol)];
    }
}
