package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One unit of evaluation (SPEC §2.4–§2.5): the cross account (non-isolated positions and every
 * collateral balance) or one isolated position with its isolated margin as sole collateral.
 * Compiled once from an {@link Account} against a {@link Catalog} into flat arrays the kernel
 * reads; the exact decimals stay beside them for the fallback path.
 */
public final class SubAccount {
    final String id;
    final String accountId;
    final String isolatedInstrument;
    final LevelBands bands;

    /*
     * Hot-path data packed into two arrays so one evaluation touches a few cache lines rather
     * than a dozen small arrays (the kernel is memory-bound over many accounts):
     *   ref = [nPositions, nPriced, position slots..., priced-collateral slots...]
     *   num = [quote collateral, (size, |size|, entry) per position..., weight per priced asset...]
     * where weight = amount * (1 - haircut) in the asset's units.
     */
    final int[] ref;
    final double[] num;
    final int positions;
    final int priced;

    // Exact values for the fallback path and the figures, and names for messages.
    final String[] symbol;
    final BigDecimal[] sizeX;
    final BigDecimal[] entryX;
    final BigDecimal quoteCollateralX;
    final BigDecimal[] collWeightX;

    private SubAccount(String id, String accountId, String isolatedInstrument, LevelBands bands, Catalog catalog,
                       List<Position> ps, BigDecimal quote, List<Integer> pricedSlots, List<BigDecimal> pricedWeights) {
        this.id = id;
        this.accountId = accountId;
        this.isolatedInstrument = isolatedInstrument;
        this.bands = bands;
        positions = ps.size();
        priced = pricedSlots.size();
        ref = new int[2 + positions + priced];
        num = new double[1 + 3 * positions + priced];
        ref[0] = positions;
        ref[1] = priced;
        symbol = new String[positions];
        sizeX = new BigDecimal[positions];
        entryX = new BigDecimal[positions];
        for (int i = 0; i < positions; i++) {
            Position p = ps.get(i);
            ref[2 + i] = catalog.slot("accounts[" + accountId + "].positions[].instrument", p.instrument());
            symbol[i] = p.instrument();
            sizeX[i] = p.size();
            entryX[i] = p.entryPrice();
            num[1 + 3 * i] = p.size().doubleValue();
            num[2 + 3 * i] = Math.abs(num[1 + 3 * i]);
            num[3 + 3 * i] = p.entryPrice().doubleValue();
        }
        quoteCollateralX = quote;
        num[0] = quote.doubleValue();
        collWeightX = new BigDecimal[priced];
        for (int j = 0; j < priced; j++) {
            ref[2 + positions + j] = pricedSlots.get(j);
            collWeightX[j] = pricedWeights.get(j);
            num[1 + 3 * positions + j] = collWeightX[j].doubleValue();
        }
    }

    int slot(int i) {
        return ref[2 + i];
    }

    double size(int i) {
        return num[1 + 3 * i];
    }

    double absSize(int i) {
        return num[2 + 3 * i];
    }

    double entry(int i) {
        return num[3 + 3 * i];
    }

    int collSlot(int j) {
        return ref[2 + positions + j];
    }

    double collWeight(int j) {
        return num[1 + 3 * positions + j];
    }

    double quoteCollateral() {
        return num[0];
    }

    /**
     * Splits an account into its cross sub-account (always first, even without positions) and one
     * sub-account per isolated position, in position order. Rejects unknown instruments and assets.
     */
    public static List<SubAccount> of(Catalog catalog, Account account) {
        Venue venue = catalog.venue();
        LevelBands bands = account.warning() == null ? catalog.bands()
                : new LevelBands(venue.thresholds().withWarning("accounts[" + account.accountId() + "].warning",
                        account.warning()), venue.hysteresis());
        BigDecimal quote = BigDecimal.ZERO;
        List<Integer> pricedSlots = new ArrayList<>();
        List<BigDecimal> pricedWeights = new ArrayList<>();
        for (Map.Entry<String, BigDecimal> c : account.collateral().entrySet()) {
            String field = "accounts[" + account.accountId() + "].collateral." + c.getKey();
            CollateralAsset asset = catalog.asset(field, c.getKey());
            BigDecimal weighted = c.getValue().multiply(asset.weight());
            if (asset.quoteLike()) {
                quote = quote.add(weighted);
            } else {
                pricedSlots.add(catalog.slot(field + ".priceInstrument", asset.priceInstrument()));
                pricedWeights.add(weighted);
            }
        }
        List<Position> cross = new ArrayList<>();
        List<SubAccount> out = new ArrayList<>();
        for (Position p : account.positions()) {
            if (!p.isolated()) {
                cross.add(p);
            }
        }
        out.add(new SubAccount(account.accountId(), account.accountId(), null, bands, catalog, cross, quote,
                pricedSlots, pricedWeights));
        for (Position p : account.positions()) {
            if (p.isolated()) {
                out.add(new SubAccount(account.accountId() + ":" + p.instrument(), account.accountId(), p.instrument(),
                        bands, catalog, List.of(p), p.isolatedMargin(), List.of(), List.of()));
            }
        }
        return out;
    }

    /** {@code <accountId>} for the cross account, {@code <accountId>:<instrument>} for an isolated one. */
    public String id() {
        return id;
    }

    public String accountId() {
        return accountId;
    }

    /** The isolated position's instrument, or null for the cross account. */
    public String isolatedInstrument() {
        return isolatedInstrument;
    }

    public LevelBands bands() {
        return bands;
    }

    public int positionCount() {
        return positions;
    }

    /** True when a move of this instrument's mark changes the sub-account (SPEC §3.3). */
    public boolean exposedTo(int instrumentSlot) {
        for (int k = 2; k < ref.length; k++) {
            if (ref[k] == instrumentSlot) {
                return true;
            }
        }
        return false;
    }

    /** True once every mark the sub-account needs has arrived. */
    public boolean markable(Marks marks) {
        for (int k = 2; k < ref.length; k++) {
            if (!marks.has(ref[k])) {
                return false;
            }
        }
        return true;
    }

    /** Exact equity {@code Q = C + sum U}, quote. */
    public BigDecimal equity(Marks marks) {
        BigDecimal q = quoteCollateralX;
        for (int j = 0; j < priced; j++) {
            q = q.add(collWeightX[j].multiply(marks.exact(collSlot(j))));
        }
        for (int i = 0; i < positions; i++) {
            q = q.add(sizeX[i].multiply(marks.exact(slot(i)).subtract(entryX[i])));
        }
        return q;
    }

    /** Exact maintenance requirement with every size scaled by {@code scale} (1 = as held), quote. */
    public BigDecimal maintenance(Marks marks, BigDecimal scale) {
        BigDecimal mm = BigDecimal.ZERO;
        Catalog catalog = marks.catalog();
        for (int i = 0; i < positions; i++) {
            BigDecimal notional = sizeX[i].abs().multiply(scale).multiply(marks.exact(slot(i)));
            mm = mm.add(catalog.tiers(slot(i)).maintenance(symbol[i], notional));
        }
        return mm;
    }

    public BigDecimal maintenance(Marks marks) {
        return maintenance(marks, BigDecimal.ONE);
    }
}
