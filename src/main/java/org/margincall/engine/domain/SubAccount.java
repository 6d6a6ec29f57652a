package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    final int[] slot;
    final String[] symbol;
    final TierTable[] tiers;
    final double[] size;
    final double[] absSize;
    final double[] entry;
    final BigDecimal[] sizeX;
    final BigDecimal[] entryX;

    final double quoteCollateral;
    final BigDecimal quoteCollateralX;
    final int[] collSlot;
    final double[] collWeight; // amount * (1 - haircut), base units
    final BigDecimal[] collWeightX;
    final int[] needed;

    private SubAccount(String id, String accountId, String isolatedInstrument, LevelBands bands, Catalog catalog,
                       List<Position> positions, BigDecimal quote, List<int[]> pricedSlots, List<BigDecimal> pricedWeights) {
        this.id = id;
        this.accountId = accountId;
        this.isolatedInstrument = isolatedInstrument;
        this.bands = bands;
        int n = positions.size();
        slot = new int[n];
        symbol = new String[n];
        tiers = new TierTable[n];
        size = new double[n];
        absSize = new double[n];
        entry = new double[n];
        sizeX = new BigDecimal[n];
        entryX = new BigDecimal[n];
        Set<Integer> need = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Position p = positions.get(i);
            slot[i] = catalog.slot("accounts[" + accountId + "].positions[].instrument", p.instrument());
            symbol[i] = p.instrument();
            tiers[i] = catalog.instrument(slot[i]).tiers();
            sizeX[i] = p.size();
            entryX[i] = p.entryPrice();
            size[i] = p.size().doubleValue();
            absSize[i] = Math.abs(size[i]);
            entry[i] = p.entryPrice().doubleValue();
            need.add(slot[i]);
        }
        quoteCollateralX = quote;
        quoteCollateral = quote.doubleValue();
        int m = pricedSlots.size();
        collSlot = new int[m];
        collWeight = new double[m];
        collWeightX = new BigDecimal[m];
        for (int j = 0; j < m; j++) {
            collSlot[j] = pricedSlots.get(j)[0];
            collWeightX[j] = pricedWeights.get(j);
            collWeight[j] = collWeightX[j].doubleValue();
            need.add(collSlot[j]);
        }
        needed = need.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Splits an account into its cross sub-account (always first, even without positions) and one
     * sub-account per isolated position, in position order. Rejects unknown instruments and assets.
     */
    public static List<SubAccount> of(Catalog catalog, Account account) {
        Venue venue = catalog.venue();
        Thresholds t = venue.thresholds().withWarning("accounts[" + account.accountId() + "].warning", account.warning());
        LevelBands bands = new LevelBands(t, venue.hysteresis());
        BigDecimal quote = BigDecimal.ZERO;
        List<int[]> pricedSlots = new ArrayList<>();
        List<BigDecimal> pricedWeights = new ArrayList<>();
        for (Map.Entry<String, BigDecimal> c : account.collateral().entrySet()) {
            String field = "accounts[" + account.accountId() + "].collateral." + c.getKey();
            CollateralAsset asset = catalog.asset(field, c.getKey());
            BigDecimal weighted = c.getValue().multiply(asset.weight());
            if (asset.quoteLike()) {
                quote = quote.add(weighted);
            } else {
                pricedSlots.add(new int[]{catalog.slot(field + ".priceInstrument", asset.priceInstrument())});
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
        return slot.length;
    }

    /** True when a move of this instrument's mark changes the sub-account (SPEC §3.3). */
    public boolean exposedTo(int instrumentSlot) {
        for (int s : needed) {
            if (s == instrumentSlot) {
                return true;
            }
        }
        return false;
    }

    /** True once every mark the sub-account needs has arrived. */
    public boolean markable(Marks marks) {
        for (int s : needed) {
            if (!marks.has(s)) {
                return false;
            }
        }
        return true;
    }

    /** Exact equity {@code Q = C + sum U}, quote. */
    public BigDecimal equity(Marks marks) {
        BigDecimal q = quoteCollateralX;
        for (int j = 0; j < collSlot.length; j++) {
            q = q.add(collWeightX[j].multiply(marks.exact(collSlot[j])));
        }
        for (int i = 0; i < slot.length; i++) {
            q = q.add(sizeX[i].multiply(marks.exact(slot[i]).subtract(entryX[i])));
        }
        return q;
    }

    /** Exact maintenance requirement with every size scaled by {@code scale} (1 = as held), quote. */
    public BigDecimal maintenance(Marks marks, BigDecimal scale) {
        BigDecimal mm = BigDecimal.ZERO;
        for (int i = 0; i < slot.length; i++) {
            BigDecimal notional = sizeX[i].abs().multiply(scale).multiply(marks.exact(slot[i]));
            mm = mm.add(tiers[i].maintenance(symbol[i], notional));
        }
        return mm;
    }

    public BigDecimal maintenance(Marks marks) {
        return maintenance(marks, BigDecimal.ONE);
    }
}
