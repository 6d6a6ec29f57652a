package org.margincall.engine.codec;

import static org.margincall.engine.codec.JsonFields.array;
import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.decimalValue;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalSeconds;
import static org.margincall.engine.codec.JsonFields.optionalText;
import static org.margincall.engine.codec.JsonFields.required;
import static org.margincall.engine.codec.JsonFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.CollateralAsset;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.Thresholds;
import org.margincall.engine.domain.TierTable;
import org.margincall.engine.domain.Venue;

/** Maps the SPEC §7 JSON shapes (venue, instruments, collateral assets, accounts) to the domain. */
public final class CatalogJson {
    private CatalogJson() {
    }

    /** A venue; {@code id} may be absent (golden vectors) and then defaults to {@code fallbackId}. */
    public static Venue venue(JsonNode v, String fallbackId) {
        String path = "venue";
        if (v == null || !v.isObject()) {
            throw new InvalidInputException(path, v == null ? null : v.toString(), "must be an object");
        }
        String id = optionalText(v, path, "id");
        Thresholds t = Thresholds.DEFAULT;
        JsonNode th = v.get("thresholds");
        if (th != null && !th.isNull()) {
            String tp = path + ".thresholds";
            t = new Thresholds(decimal(th, tp, "warning"), decimal(th, tp, "marginCall"),
                    decimal(th, tp, "critical"), decimal(th, tp, "liquidation"));
        }
        BigDecimal h = optionalDecimal(v, path, "hysteresis");
        return new Venue(id == null ? fallbackId : id, t, h == null ? Venue.DEFAULT_HYSTERESIS : h,
                optionalSeconds(v, path, "gracePeriodSeconds", Venue.DEFAULT_GRACE_SECONDS),
                optionalSeconds(v, path, "finalNoticeSeconds", Venue.DEFAULT_FINAL_NOTICE_SECONDS),
                optionalSeconds(v, path, "reminderSeconds", Venue.DEFAULT_REMINDER_SECONDS),
                optionalSeconds(v, path, "stalePriceSeconds", Venue.DEFAULT_STALE_PRICE_SECONDS));
    }

    public static List<Instrument> instruments(JsonNode root) {
        List<Instrument> out = new ArrayList<>();
        JsonNode arr = array(root, "$", "instruments");
        for (int i = 0; i < arr.size(); i++) {
            JsonNode n = arr.get(i);
            String path = "instruments[" + i + "]";
            String symbol = text(n, path, "symbol");
            JsonNode tiers = array(n, "instruments[" + symbol + "]", "tiers");
            List<TierTable.Tier> ts = new ArrayList<>();
            for (int k = 0; k < tiers.size(); k++) {
                JsonNode t = tiers.get(k);
                String tp = "instruments[" + symbol + "].tiers[" + k + "]";
                JsonNode cap = t.get("cap");
                ts.add(new TierTable.Tier(decimal(t, tp, "floor"),
                        cap == null || cap.isNull() ? null : decimalValue(cap, tp + ".cap"), decimal(t, tp, "mmr")));
            }
            out.add(new Instrument(symbol, new TierTable(symbol, ts)));
        }
        return out;
    }

    public static List<CollateralAsset> collateralAssets(JsonNode root) {
        List<CollateralAsset> out = new ArrayList<>();
        JsonNode arr = array(root, "$", "collateralAssets");
        for (int i = 0; i < arr.size(); i++) {
            JsonNode n = arr.get(i);
            String path = "collateralAssets[" + i + "]";
            String asset = text(n, path, "asset");
            out.add(new CollateralAsset(asset, decimal(n, "collateralAssets[" + asset + "]", "haircut"),
                    optionalText(n, "collateralAssets[" + asset + "]", "priceInstrument")));
        }
        return out;
    }

    public static Catalog catalog(JsonNode root, String fallbackVenueId) {
        return new Catalog(venue(required(root, "$", "venue"), fallbackVenueId), instruments(root), collateralAssets(root));
    }

    /** An account; every asset and instrument must be known to the catalog. */
    public static Account account(JsonNode n, String path, Catalog catalog) {
        String id = text(n, path, "accountId");
        String ap = "accounts[" + id + "]";
        Map<String, BigDecimal> collateral = new LinkedHashMap<>();
        JsonNode c = n.get("collateral");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw new InvalidInputException(ap + ".collateral", c.toString(), "must be an object of asset to amount");
            }
            Iterator<Map.Entry<String, JsonNode>> it = c.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                catalog.asset(ap + ".collateral." + e.getKey(), e.getKey());
                collateral.put(e.getKey(), decimalValue(e.getValue(), ap + ".collateral." + e.getKey()));
            }
        }
        List<Position> positions = new ArrayList<>();
        JsonNode ps = n.get("positions");
        if (ps != null && !ps.isNull()) {
            if (!ps.isArray()) {
                throw new InvalidInputException(ap + ".positions", ps.toString(), "must be an array");
            }
            for (int i = 0; i < ps.size(); i++) {
                JsonNode p = ps.get(i);
                String instrument = text(p, ap + ".positions[" + i + "]", "instrument");
                String pp = ap + ".positions[" + instrument + "]";
                catalog.slot(pp + ".instrument", instrument);
                positions.add(new Position(instrument, decimal(p, pp, "size"), decimal(p, pp, "entryPrice"),
                        optionalDecimal(p, pp, "isolatedMargin")));
            }
        }
        return new Account(id, collateral, positions, optionalDecimal(n, ap, "warning"));
    }
}
