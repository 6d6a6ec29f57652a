package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of one notification as a subscriber receives it (SPEC §6), fields in contract order
 * and already in their wire formats: money as decimal strings (equity and requirement half-up to
 * the cent, deposits ceiling to the cent), prices with 8 decimals, ratio and fraction as numbers.
 *
 * @param priceSuspect whether the evaluation used a suspect mark still holding (SPEC §3.5)
 * @param pendingDeposit value of the cross account's deposits in flight, to the cent (SPEC §3.6)
 * @param positionsTruncated whether {@code positions} was cut to fit SNS (SPEC §10)
 */
public record Notification(String schemaVersion, String notificationId, String type, String reason, String venueId,
                           String accountId, String isolatedInstrument, String episodeId, String callId, int step,
                           String level, String previousLevel, Double collateralRatio, String equity,
                           String maintenanceMargin, String requiredDeposit, String minimumDeposit,
                           double reduceFraction, List<PositionLine> positions, TriggerLine trigger,
                           String evaluatedAt, String deadline, boolean priceSuspect, String pendingDeposit,
                           boolean positionsTruncated) {
    public static final String SCHEMA_VERSION = "1";

    /**
     * One position line; prices null when no positive price solves them; the SPEC §4 risk figures
     * (4 decimals, half-even) null while the liquidation price or the volatility is unknown.
     */
    public record PositionLine(String instrument, String size, String markPrice, String liquidationPrice,
                               String warningPrice, Double sigmasToLiquidation, Double liquidationProbability1h,
                               Double liquidationProbability24h) {
    }

    /** What an evaluation adds to a notice beyond its SPEC §4 figures. */
    public record Context(boolean priceSuspect, String pendingDeposit, java.util.function.Function<PositionFigures, Double[]> risk) {
        /** No suspect mark, no deposit in flight, no risk figures. */
        public static final Context PLAIN = new Context(false, "0.00", p -> new Double[3]);
    }

    /** What caused the notice: a price or account event, or the escalation clock. */
    public record TriggerLine(String kind, String instrument, String price, String timestamp, Long sequence,
                              String eventId) {
    }

    /** As {@link #of(String, Notice, Evaluation, Trigger, Context)} with {@link Context#PLAIN}. */
    public static Notification of(String venueId, Notice n, Evaluation e, Trigger t) {
        return of(venueId, n, e, t, Context.PLAIN);
    }

    /**
     * The body of notice {@code n} from evaluation {@code e} caused by {@code t}.
     *
     * @param c the wick-guard flag, the pending deposit value and the risk figures per position
     */
    public static Notification of(String venueId, Notice n, Evaluation e, Trigger t, Context c) {
        List<PositionLine> lines = new ArrayList<>(e.positions().size());
        for (PositionFigures p : e.positions()) {
            Double[] risk = c.risk().apply(p);
            lines.add(new PositionLine(p.instrument(), p.size().toPlainString(), p.markPrice().toPlainString(),
                    plain(p.liquidationPrice()), plain(p.warningPrice()), risk[0], risk[1], risk[2]));
        }
        TriggerLine trigger = new TriggerLine(t.kind().name(), t.instrument(), plain(t.price()),
                Timestamps.format(t.timestamp()),
                t.kind() == Trigger.Kind.PRICE ? t.sequence() : null, t.eventId());
        return new Notification(SCHEMA_VERSION, n.notificationId(), n.type().name(), n.reason().name(), venueId,
                e.accountId(), e.isolatedInstrument(), n.episodeId(), n.callId(), n.step(), n.level().name(),
                n.previousLevel().name(), e.collateralRatio(),
                e.equity().setScale(2, RoundingMode.HALF_UP).toPlainString(),
                e.maintenanceMargin().setScale(2, RoundingMode.HALF_UP).toPlainString(),
                e.requiredDeposit().toPlainString(), e.minimumDeposit().toPlainString(),
                // a JSON number written as a double, so every path that re-reads a body writes it alike
                e.reduceFraction().doubleValue(),
                List.copyOf(lines), trigger, iso(n.at()), iso(n.deadline()), c.priceSuspect(), c.pendingDeposit(), false);
    }

    /**
     * This body with only the {@code keep} positions nearest to liquidation (SPEC §10: by
     * {@code |ln(liquidationPrice / markPrice)|}, positions without a liquidation price last, ties
     * in their original order) and {@code positionsTruncated} set, for a body larger than SNS allows.
     */
    public Notification truncatedTo(int keep) {
        List<PositionLine> ordered = new ArrayList<>(positions);
        ordered.sort(java.util.Comparator.comparingDouble(Notification::distanceToLiquidation));
        List<PositionLine> kept = List.copyOf(ordered.subList(0, Math.max(0, Math.min(keep, ordered.size()))));
        return new Notification(schemaVersion, notificationId, type, reason, venueId, accountId, isolatedInstrument,
                episodeId, callId, step, level, previousLevel, collateralRatio, equity, maintenanceMargin, requiredDeposit,
                minimumDeposit, reduceFraction, kept, trigger, evaluatedAt, deadline, priceSuspect, pendingDeposit, true);
    }

    private static double distanceToLiquidation(PositionLine p) {
        if (p.liquidationPrice() == null) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.abs(Math.log(Double.parseDouble(p.liquidationPrice()) / Double.parseDouble(p.markPrice())));
    }

    private static String plain(BigDecimal d) {
        return d == null ? null : d.toPlainString();
    }

    private static String iso(Instant i) {
        return Timestamps.format(i);
    }
}
