package org.margincall.engine.codec;

import static org.margincall.engine.codec.JsonFields.accountId;
import static org.margincall.engine.codec.JsonFields.array;
import static org.margincall.engine.codec.JsonFields.checkId;
import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.decimalValue;
import static org.margincall.engine.codec.JsonFields.id;
import static org.margincall.engine.codec.JsonFields.object;
import static org.margincall.engine.codec.JsonFields.onlyFields;
import static org.margincall.engine.codec.JsonFields.optional;
import static org.margincall.engine.codec.JsonFields.optionalArray;
import static org.margincall.engine.codec.JsonFields.optionalBoolean;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalId;
import static org.margincall.engine.codec.JsonFields.optionalObject;
import static org.margincall.engine.codec.JsonFields.optionalSeconds;
import static org.margincall.engine.codec.JsonFields.required;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.margincall.engine.codec.JsonFields.Range;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.CollateralAsset;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.Thresholds;
import org.margincall.engine.domain.TierTable;
import org.margincall.engine.domain.Venue;
import org.margincall.engine.domain.WickGuard;

/**
 * Maps the SPEC §7 JSON shapes (venue, instruments, collateral assets, accounts) to the domain,
 * as {@code schema/scenario-v1.schema.json} defines them: every field SPEC does not define is
 * refused naming its path ({@code $.venue.thresholds.warnig}), so a typo cannot silently fall back
 * to a default. Paths are JSON paths with array indices, as a schema validator reports them.
 */
public final class CatalogJson {
    static final Set<String> VENUE_FIELDS = Set.of("id", "thresholds", "hysteresis", "gracePeriodSeconds",
            "finalNoticeSeconds", "reminderSeconds", "stalePriceSeconds", "wickGuard", "maxPendingCreditSeconds",
            "volatilityHalfLifeSeconds", "handoffsHeld");
    static final Set<String> THRESHOLD_FIELDS = Set.of("warning", "marginCall", "critical", "liquidation");
    static final Set<String> WICK_GUARD_FIELDS = Set.of("maxTickMove", "maxMarkIndexDeviation", "windowSeconds", "holdSeconds");
    static final Set<String> INSTRUMENT_FIELDS = Set.of("symbol", "tiers");
    static final Set<String> TIER_FIELDS = Set.of("floor", "cap", "mmr");
    static final Set<String> ASSET_FIELDS = Set.of("asset", "haircut", "priceInstrument");
    static final Set<String> ACCOUNT_FIELDS = Set.of("accountId", "collateral", "positions", "warning");
    static final Set<String> POSITION_FIELDS = Set.of("instrument", "size", "entryPrice", "isolatedMargin");

    private CatalogJson() {
    }

    /** A venue; {@code id} may be absent (golden vectors, stored configuration) only when {@code fallbackId} is given. */
    public static Venue venue(JsonNode v, String fallbackId) {
        String path = "$.venue";
        object(v, path);
        onlyFields(v, path, VENUE_FIELDS);
        String id = optionalId(v, path, "id");
        if (id == null && fallbackId == null) {
            throw new InvalidInputException(path + ".id", null, "is required");
        }
        Thresholds t = Thresholds.DEFAULT;
        JsonNode th = optionalObject(v, path, "thresholds");
        if (th != null) {
            String tp = path + ".thresholds";
            onlyFields(th, tp, THRESHOLD_FIELDS);
            t = new Thresholds(decimal(th, tp, "warning", Range.POSITIVE), decimal(th, tp, "marginCall", Range.POSITIVE),
                    decimal(th, tp, "critical", Range.POSITIVE), decimal(th, tp, "liquidation", Range.POSITIVE));
        }
        BigDecimal h = optionalDecimal(v, path, "hysteresis", Range.FRACTION);
        WickGuard guard = null;
        JsonNode wick = optionalObject(v, path, "wickGuard");
        if (wick != null) {
            String wp = path + ".wickGuard";
            onlyFields(wick, wp, WICK_GUARD_FIELDS);
            BigDecimal move = optionalDecimal(wick, wp, "maxTickMove", Range.POSITIVE);
            BigDecimal deviation = optionalDecimal(wick, wp, "maxMarkIndexDeviation", Range.POSITIVE);
            guard = new WickGuard(move == null ? WickGuard.DEFAULTS.maxTickMove() : move,
                    deviation == null ? WickGuard.DEFAULTS.maxMarkIndexDeviation() : deviation,
                    optionalSeconds(wick, wp, "windowSeconds", WickGuard.DEFAULTS.windowSeconds()),
                    optionalSeconds(wick, wp, "holdSeconds", WickGuard.DEFAULTS.holdSeconds()));
        }
        Boolean held = optionalBoolean(v, path, "handoffsHeld");
        Venue venue = new Venue(id == null ? fallbackId : id, t, h == null ? Venue.DEFAULT_HYSTERESIS : h,
                optionalSeconds(v, path, "gracePeriodSeconds", Venue.DEFAULT_GRACE_SECONDS),
                optionalSeconds(v, path, "finalNoticeSeconds", Venue.DEFAULT_FINAL_NOTICE_SECONDS),
                optionalSeconds(v, path, "reminderSeconds", Venue.DEFAULT_REMINDER_SECONDS),
                optionalSeconds(v, path, "stalePriceSeconds", Venue.DEFAULT_STALE_PRICE_SECONDS), guard,
                held != null && held,
                optionalSeconds(v, path, "maxPendingCreditSeconds", 0, Venue.DEFAULT_MAX_PENDING_CREDIT_SECONDS),
                optionalSeconds(v, path, "volatilityHalfLifeSeconds", Venue.DEFAULT_VOLATILITY_HALF_LIFE_SECONDS));
        return venue;
    }

    public static List<Instrument> instruments(JsonNode root) {
        List<Instrument> out = new ArrayList<>();
        JsonNode arr = array(root, "$", "instruments");
        for (int i = 0; i < arr.size(); i++) {
            String path = "$.instruments[" + i + "]";
            JsonNode n = object(arr.get(i), path);
            onlyFields(n, path, INSTRUMENT_FIELDS);
            String symbol = id(n, path, "symbol");
            JsonNode tiers = array(n, path, "tiers");
            if (tiers.isEmpty()) {
                throw new InvalidInputException(path + ".tiers", JsonFields.shown(tiers), "needs at least one bracket");
            }
            List<TierTable.Tier> ts = new ArrayList<>();
            for (int k = 0; k < tiers.size(); k++) {
                String tp = path + ".tiers[" + k + "]";
                JsonNode t = object(tiers.get(k), tp);
                onlyFields(t, tp, TIER_FIELDS);
                JsonNode cap = t.get("cap");
                if (cap == null) {
                    throw new InvalidInputException(tp + ".cap", null, "is required (null for an unbounded last bracket)");
                }
                ts.add(new TierTable.Tier(decimal(t, tp, "floor", Range.NON_NEGATIVE),
                        cap.isNull() ? null : decimalValue(cap, tp + ".cap", Range.NON_NEGATIVE),
                        decimal(t, tp, "mmr", Range.UNIT)));
            }
            out.add(new Instrument(symbol, new TierTable(symbol, ts)));
        }
        return out;
    }

    public static List<CollateralAsset> collateralAssets(JsonNode root) {
        List<CollateralAsset> out = new ArrayList<>();
        JsonNode arr = array(root, "$", "collateralAssets");
        for (int i = 0; i < arr.size(); i++) {
            String path = "$.collateralAssets[" + i + "]";
            JsonNode n = object(arr.get(i), path);
            onlyFields(n, path, ASSET_FIELDS);
            String asset = id(n, path, "asset");
            BigDecimal haircut = decimal(n, path, "haircut", Range.FRACTION);
            String priceInstrument = optionalId(n, path, "priceInstrument");
            if (priceInstrument == null && !CollateralAsset.QUOTE_LIKE.contains(asset)) {
                throw new InvalidInputException(path + ".priceInstrument", null,
                        "is required for the non-quote asset " + asset + " (quote-like: USD, USDC, USDT)");
            }
            out.add(new CollateralAsset(asset, haircut, priceInstrument));
        }
        return out;
    }

    /** The catalog of a document holding {@code venue}, {@code instruments} and {@code collateralAssets}; other root fields are the caller's. */
    public static Catalog catalog(JsonNode root, String fallbackVenueId) {
        return new Catalog(venue(required(root, "$", "venue"), fallbackVenueId), instruments(root), collateralAssets(root));
    }

    /** An account at {@code path}; every asset and instrument must be known to the catalog. */
    public static Account account(JsonNode n, String path, Catalog catalog) {
        object(n, path);
        onlyFields(n, path, ACCOUNT_FIELDS);
        String id = accountId(n, path, "accountId");
        Map<String, BigDecimal> collateral = collateral(optionalObject(n, path, "collateral"), path + ".collateral", catalog);
        List<Position> positions = new ArrayList<>();
        JsonNode ps = optionalArray(n, path, "positions");
        if (ps != null) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < ps.size(); i++) {
                String pp = path + ".positions[" + i + "]";
                JsonNode p = object(ps.get(i), pp);
                onlyFields(p, pp, POSITION_FIELDS);
                String instrument = id(p, pp, "instrument");
                catalog.slot(pp + ".instrument", instrument);
                Integer first = seen.putIfAbsent(instrument, i);
                if (first != null) {
                    throw new InvalidInputException(pp + ".instrument", instrument,
                            "already has a position at positions[" + first + "]; an account holds one net position per instrument");
                }
                positions.add(new Position(instrument, decimal(p, pp, "size"), decimal(p, pp, "entryPrice", Range.POSITIVE),
                        optionalDecimal(p, pp, "isolatedMargin", Range.NON_NEGATIVE)));
            }
        }
        return new Account(id, collateral, positions, optionalDecimal(n, path, "warning", Range.POSITIVE));
    }

    /**
     * A map of asset to amount (any sign): keys follow the identifier rule and, given a catalog,
     * must be accepted collateral assets.
     */
    public static Map<String, BigDecimal> collateral(JsonNode c, String path, Catalog catalog) {
        Map<String, BigDecimal> out = new LinkedHashMap<>();
        if (c == null) {
            return out;
        }
        Iterator<Map.Entry<String, JsonNode>> it = c.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            checkId(path, e.getKey()); // a bad key is named as the value of its object, as a schema's propertyNames does
            String field = path + "." + e.getKey();
            if (catalog != null) {
                catalog.asset(field, e.getKey());
            }
            JsonNode amount = optional(c, path, e.getKey());
            out.put(e.getKey(), decimalValue(amount, field));
        }
        return out;
    }
}
