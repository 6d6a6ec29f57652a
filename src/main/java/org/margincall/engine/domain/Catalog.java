package org.margincall.engine.domain;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a venue trades and accepts (SPEC §2.2–§2.3): its policy, instruments with tier tables and
 * collateral assets. Instruments get dense indices so the hot path can read marks from an array.
 */
public final class Catalog {
    private final Venue venue;
    private final Map<String, Instrument> instruments;
    private final Map<String, CollateralAsset> assets;
    private final Map<String, Integer> index = new HashMap<>();
    private final Instrument[] bySlot;
    private final TierTable[] tiersBySlot;
    private final LevelBands bands;

    public Catalog(Venue venue, List<Instrument> instruments, List<CollateralAsset> assets) {
        if (venue == null) {
            throw new InvalidInputException("venue", null, "is required");
        }
        this.venue = venue;
        Map<String, Instrument> ins = new LinkedHashMap<>();
        for (Instrument i : instruments) {
            if (ins.put(i.symbol(), i) != null) {
                throw new InvalidInputException("instruments[" + i.symbol() + "]", i.symbol(), "is defined twice");
            }
        }
        Map<String, CollateralAsset> as = new LinkedHashMap<>();
        for (CollateralAsset a : assets) {
            if (as.put(a.asset(), a) != null) {
                throw new InvalidInputException("collateralAssets[" + a.asset() + "]", a.asset(), "is defined twice");
            }
            if (a.priceInstrument() != null && !ins.containsKey(a.priceInstrument())) {
                throw new InvalidInputException("collateralAssets[" + a.asset() + "].priceInstrument",
                        a.priceInstrument(), "is not a known instrument");
            }
        }
        this.instruments = Map.copyOf(ins);
        this.assets = Map.copyOf(as);
        this.bySlot = ins.values().toArray(new Instrument[0]);
        this.tiersBySlot = new TierTable[bySlot.length];
        for (int i = 0; i < bySlot.length; i++) {
            index.put(bySlot[i].symbol(), i);
            tiersBySlot[i] = bySlot[i].tiers();
        }
        this.bands = new LevelBands(venue.thresholds(), venue.hysteresis());
    }

    public Venue venue() {
        return venue;
    }

    public int instrumentCount() {
        return bySlot.length;
    }

    public Collection<Instrument> instruments() {
        return List.of(bySlot);
    }

    public Collection<CollateralAsset> collateralAssets() {
        return assets.values();
    }

    public TierTable tiers(int slot) {
        return tiersBySlot[slot];
    }

    /** The venue's level bands, shared by every account without a warning of its own. */
    LevelBands bands() {
        return bands;
    }

    public Instrument instrument(int slot) {
        return bySlot[slot];
    }

    /** Slot of a known instrument; unknown ones are rejected naming the field. */
    public int slot(String field, String symbol) {
        Integer s = index.get(symbol);
        if (s == null) {
            throw new InvalidInputException(field, symbol, "is not a known instrument");
        }
        return s;
    }

    public boolean knows(String symbol) {
        return index.containsKey(symbol);
    }

    public CollateralAsset asset(String field, String asset) {
        CollateralAsset a = assets.get(asset);
        if (a == null) {
            throw new InvalidInputException(field, asset, "is not an accepted collateral asset");
        }
        return a;
    }
}
