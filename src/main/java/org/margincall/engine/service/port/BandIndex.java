package org.margincall.engine.service.port;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * The stored trigger-band rows of SPEC §10 (docs/trigger-bands.md §7): per account and instrument
 * it depends on, a low-edge row, a high-edge row and a reminder row, found by range queries that
 * are strongly consistent, so a price event reads exactly the accounts whose band its mark leaves
 * or whose reminder it finds due. Extra rows only cost reads; a missing row could hide an account,
 * which is why rows are written before the account's commit and deleted only after it
 * ({@code service.BandWrites}), and the minute sweep repairs them.
 */
public interface BandIndex {

    /** The three row kinds. */
    enum Kind {
        /** The band's low edge: crossed by a mark at or below it. */
        LOW,
        /** The band's high edge: crossed by a mark at or above it; an empty band is a high edge at 0. */
        HIGH,
        /** A reminder due (SPEC §3.3): found by a tick at or after it. */
        REMINDER
    }

    /**
     * One row of one account.
     *
     * @param kind which edge
     * @param instrument the instrument symbol it belongs to
     * @param edge 16 lowercase hex digits whose string order is numeric order: the IEEE-754 bits of
     *        the edge price (quote currency per base unit, ≥ 0) for {@code LOW}/{@code HIGH}, the epoch
     *        milliseconds of the due instant for {@code REMINDER} ({@code service.BandRows} encodes them)
     * @param version the account item version whose commit wrote the row (0: written before the item's
     *        first commit, for an account never evaluated); part of the row's key, so a row once dropped
     *        by a commit can never be confused with one a later commit writes
     */
    record Row(Kind kind, String instrument, String edge, long version) {
        public Row {
            if (kind == null || instrument == null || edge == null || edge.length() != 16 || version < 0) {
                throw new IllegalArgumentException("bad band row " + kind + "/" + instrument + "/" + edge + "/" + version);
            }
        }

        /** The same edge of the same instrument (the version aside): a commit keeps such a row as it is. */
        public boolean sameEdge(Row o) {
            return kind == o.kind && instrument.equals(o.instrument) && edge.equals(o.edge);
        }

        /**
         * Whether a tick of this row's instrument to {@code price} (quote currency per base unit) at
         * {@code at} finds it: a low edge at or above the price, a high edge at or below it, a
         * reminder due at or before {@code at} — what {@link BandIndex#crossed} queries.
         */
        public boolean crossedBy(double price, Instant at) {
            long bits = Long.parseUnsignedLong(edge, 16);
            return switch (kind) {
                case LOW -> Double.longBitsToDouble(bits) >= price;
                case HIGH -> Double.longBitsToDouble(bits) <= price;
                case REMINDER -> bits <= at.toEpochMilli();
            };
        }

        /** How the account item records the row: {@code kind#instrument#edge#version}. */
        public String encode() {
            return kind.name().charAt(0) + "#" + instrument + "#" + edge + "#" + version;
        }

        /**
         * The inverse of {@link #encode()}.
         *
         * @throws IllegalArgumentException for a string that is not an encoded row
         */
        public static Row decode(String s) {
            String[] p = s.split("#", -1);
            if (p.length != 4) {
                throw new IllegalArgumentException("not a band row: " + s);
            }
            Kind k = switch (p[0]) {
                case "L" -> Kind.LOW;
                case "H" -> Kind.HIGH;
                case "R" -> Kind.REMINDER;
                default -> throw new IllegalArgumentException("not a band row kind: " + s);
            };
            return new Row(k, p[1], p[2], Long.parseLong(p[3]));
        }
    }

    /**
     * The sortable key of a price edge: the 16 hex digits of its IEEE-754 bits.
     *
     * @param price quote currency per base unit, ≥ 0 and finite
     * @throws IllegalArgumentException for a negative, infinite or NaN price
     */
    static String priceEdge(double price) {
        if (!(price >= 0) || Double.isInfinite(price)) {
            throw new IllegalArgumentException("band edge must be a finite price ≥ 0, was " + price);
        }
        // +0.0 only: -0.0 would sort last
        return String.format("%016x", Double.doubleToRawLongBits(price == 0 ? 0.0 : price));
    }

    /**
     * The sortable key of a due instant: the 16 hex digits of its epoch milliseconds.
     *
     * @throws IllegalArgumentException for an instant before 1970
     */
    static String dueEdge(Instant at) {
        long ms = at.toEpochMilli();
        if (ms < 0) {
            throw new IllegalArgumentException("reminder instant before 1970: " + at);
        }
        return String.format("%016x", ms);
    }

    /**
     * The accounts a tick of {@code instrument} to {@code price} at {@code at} must evaluate: a
     * {@code LOW} row with edge ≥ price, a {@code HIGH} row with edge ≤ price, or a
     * {@code REMINDER} due at or before {@code at} (SPEC §10). Strongly consistent; the cost is a
     * fixed number of queries per shard, whatever the number of holders. Unordered, no duplicates.
     */
    Set<String> crossed(String venueId, String instrument, double price, Instant at);

    /** Writes rows of one account (idempotent: a row's key carries everything it says). */
    void put(String venueId, String accountId, Collection<Row> rows);

    /** Deletes rows of one account; absent ones are ignored. */
    default void delete(String venueId, String accountId, Collection<Row> rows) {
        deleteAll(venueId, Map.of(accountId, rows));
    }

    /** Deletes rows of many accounts (in as few calls as the store allows); absent ones are ignored. */
    void deleteAll(String venueId, Map<String, ? extends Collection<Row>> rowsByAccount);

    /** Every stored row of a venue's instrument, by account id (the sweep's repair; reads them all). */
    Map<String, Set<Row>> rows(String venueId, String instrument);
}
