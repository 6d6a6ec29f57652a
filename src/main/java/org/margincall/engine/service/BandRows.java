package org.margincall.engine.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.BandBook;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.TriggerBands;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.BandIndex.Kind;
import org.margincall.engine.service.port.BandIndex.Row;
import org.margincall.engine.service.port.StoredAccount;

/**
 * The rows of one account's {@link BandBook.Entry} (SPEC §10, docs/trigger-bands.md §7): per
 * instrument slot a {@code LOW} row when {@code low > 0}, a {@code HIGH} row when {@code high < +∞}
 * ({@link TriggerBands.Band#EMPTY} is a {@code HIGH} row at 0, crossed by every tick;
 * {@link TriggerBands.Band#ALL} has none), and a {@code REMINDER} row per reminder instant. Edges are
 * encoded exactly (the bits of the double, the millisecond of the instant), so string order is
 * numeric order and no rounding can widen a band. Pure.
 */
public final class BandRows {
    private BandRows() {
    }

    /** The rows an entry asks for, all at {@code version}. */
    public static Set<Row> of(BandBook.Entry entry, Catalog catalog, long version) {
        Set<Row> out = new LinkedHashSet<>();
        for (Map.Entry<Integer, TriggerBands.Band> e : entry.bands().entrySet()) {
            String symbol = catalog.instrument(e.getKey()).symbol();
            TriggerBands.Band band = e.getValue();
            if (band.isEmpty()) {
                out.add(new Row(Kind.HIGH, symbol, BandIndex.priceEdge(0), version));
                continue;
            }
            if (band.low() > 0) {
                out.add(new Row(Kind.LOW, symbol, BandIndex.priceEdge(band.low()), version));
            }
            if (band.high() != Double.POSITIVE_INFINITY) {
                out.add(new Row(Kind.HIGH, symbol, BandIndex.priceEdge(band.high()), version));
            }
        }
        for (Map.Entry<Integer, Instant> e : entry.reminders().entrySet()) {
            out.add(new Row(Kind.REMINDER, catalog.instrument(e.getKey()).symbol(), BandIndex.dueEdge(e.getValue()), version));
        }
        return out;
    }

    /**
     * The rows of an account never evaluated (or imported since its last evaluation): an empty band
     * on every instrument it depends on, at version 0, so the first tick of each reads it.
     *
     * @throws org.margincall.engine.domain.InvalidInputException when the account refers to something the catalog lacks
     */
    public static Set<Row> unevaluated(Account account, Catalog catalog) {
        List<SubAccount> subs = SubAccount.of(catalog, account);
        return of(BandBook.unevaluated(subs), catalog, 0);
    }

    /** The rows a stored item owns: those it records, else those of {@link #unevaluated}. */
    public static Set<Row> owned(StoredAccount a, Catalog catalog) {
        return a.bandRows() != null ? a.bandRows() : unevaluated(a.account(), catalog);
    }

    /**
     * The rows to own after a commit at {@code version}: every row {@code owned} already has with the
     * same edge is kept as it is (no write); the others are new, at {@code version}.
     */
    public static Set<Row> next(Set<Row> owned, BandBook.Entry entry, Catalog catalog, long version) {
        Set<Row> out = new LinkedHashSet<>();
        for (Row want : of(entry, catalog, version)) {
            Row keep = null;
            for (Row have : owned) {
                if (have.sameEdge(want)) {
                    keep = have;
                    break;
                }
            }
            out.add(keep != null ? keep : want);
        }
        return out;
    }

    /**
     * The most an account item records of its rows (SPEC §10), in bytes of their encodings: about a
     * hundred rows. An account depending on more instruments than that records none and owns
     * {@link #unevaluated} rows instead — it is read on every tick of its instruments, and the item
     * stays far below DynamoDB's 400 KB (docs/data-model.md: accounts of up to 1,000 positions).
     */
    public static final int MAX_RECORDED_BYTES = 16 * 1024;

    /** Whether the item can record these rows (see {@link #MAX_RECORDED_BYTES}). */
    public static boolean recordable(Set<Row> rows) {
        long bytes = 0;
        for (Row r : rows) {
            bytes += r.encode().length() + 4;
            if (bytes > MAX_RECORDED_BYTES) {
                return false;
            }
        }
        return true;
    }

    /** {@code a} without the rows in {@code b} (by key). */
    public static List<Row> minus(Set<Row> a, Set<Row> b) {
        Set<Row> bs = new HashSet<>(b);
        List<Row> out = new ArrayList<>();
        for (Row r : a) {
            if (!bs.contains(r)) {
                out.add(r);
            }
        }
        return out;
    }
}
