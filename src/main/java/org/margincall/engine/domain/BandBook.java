package org.margincall.engine.domain;

import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Which accounts a price tick must re-evaluate (SPEC §10), from their stored {@link TriggerBands}
 * and reminder clocks: an in-memory index of the rows {@code docs/trigger-bands.md} §7 plans to
 * store, queried the same way. Per instrument slot it keeps three sorted sets of account ids:
 *
 * <ul>
 *   <li>low edges ({@code L} rows): an account whose band has {@code low > 0};</li>
 *   <li>high edges ({@code H} rows): an account whose band has {@code high < +∞}; {@link TriggerBands.Band#EMPTY}
 *       is an {@code H} row at 0, crossed by every tick; {@link TriggerBands.Band#ALL} has no row;</li>
 *   <li>reminder instants ({@code R} rows): the earliest {@code lastNoticeAt + reminderSeconds} over the
 *       account's sub-accounts with an open call that depend on the instrument (SPEC §3.3: a reminder
 *       goes out on the first evaluation at or after it, and a tick evaluates only the exposed ones).</li>
 * </ul>
 *
 * {@link #crossed} answers exactly the accounts that must be evaluated: a band that does not
 * strictly contain the price ({@code price ≤ low} or {@code price ≥ high}), or a reminder due at or
 * before the tick. Everything else provably sends nothing on that tick (the level cannot change,
 * no reminder is due). Pure and single-threaded; the storage adapter mirrors {@link #entry} and
 * {@link #crossed} with rows and range queries.
 */
public final class BandBook {
    /** What one account stores: its band per instrument slot it depends on, and its reminder instants per slot. */
    public record Entry(Map<Integer, TriggerBands.Band> bands, Map<Integer, Instant> reminders) {
        public Entry {
            bands = Collections.unmodifiableMap(new TreeMap<>(bands));
            reminders = Collections.unmodifiableMap(new TreeMap<>(reminders));
        }
    }

    private record Edge(double edge, String accountId) implements Comparable<Edge> {
        @Override
        public int compareTo(Edge o) {
            int c = Double.compare(edge, o.edge);
            return c != 0 ? c : accountId.compareTo(o.accountId);
        }
    }

    private record Due(Instant at, String accountId) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = at.compareTo(o.at);
            return c != 0 ? c : accountId.compareTo(o.accountId);
        }
    }

    /** The three row kinds of one instrument slot. */
    private static final class Slot {
        final TreeSet<Edge> low = new TreeSet<>();
        final TreeSet<Edge> high = new TreeSet<>();
        final TreeSet<Due> due = new TreeSet<>();
    }

    private final Map<Integer, Slot> slots = new HashMap<>();
    private final Map<String, Entry> entries = new HashMap<>();

    /**
     * Replaces everything stored for {@code accountId} by {@code bands} (slot → band) and
     * {@code reminders} (slot → instant a reminder falls due).
     */
    public void put(String accountId, Map<Integer, TriggerBands.Band> bands, Map<Integer, Instant> reminders) {
        put(accountId, new Entry(bands, reminders));
    }

    /** Replaces everything stored for {@code entry}'s account. */
    public void put(String accountId, Entry entry) {
        remove(accountId);
        entries.put(accountId, entry);
        entry.bands().forEach((s, band) -> {
            Slot slot = slots.computeIfAbsent(s, k -> new Slot());
            if (band.low() > 0) {
                slot.low.add(new Edge(band.low(), accountId));
            }
            if (band.high() != Double.POSITIVE_INFINITY) {
                slot.high.add(new Edge(band.high(), accountId));
            }
        });
        entry.reminders().forEach((s, due) -> slots.computeIfAbsent(s, k -> new Slot()).due.add(new Due(due, accountId)));
    }

    /** Forgets an account (no rows). */
    public void remove(String accountId) {
        Entry old = entries.remove(accountId);
        if (old == null) {
            return;
        }
        old.bands().forEach((s, band) -> {
            Slot slot = slots.get(s);
            slot.low.remove(new Edge(band.low(), accountId));
            slot.high.remove(new Edge(band.high(), accountId));
        });
        old.reminders().forEach((s, due) -> slots.get(s).due.remove(new Due(due, accountId)));
    }

    /** What is stored for an account, or null. */
    public Entry get(String accountId) {
        return entries.get(accountId);
    }

    /**
     * The accounts a tick of instrument {@code slot} to {@code price} at {@code at} must evaluate:
     * those whose band of that instrument does not strictly contain {@code price} (on an edge is
     * crossed), plus those with a reminder due at or before {@code at} on it. Unordered.
     */
    public Set<String> crossed(int slot, double price, Instant at) {
        Slot s = slots.get(slot);
        if (s == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        // L rows with edge >= price
        for (Edge e : s.low.tailSet(new Edge(price, ""), true)) {
            out.add(e.accountId());
        }
        // H rows with edge <= price
        NavigableSet<Edge> high = s.high.headSet(new Edge(Math.nextUp(price), ""), false);
        for (Edge e : high) {
            out.add(e.accountId());
        }
        // R rows due <= at
        for (Due d : s.due.headSet(new Due(at.plusNanos(1), ""), false)) {
            out.add(d.accountId());
        }
        return out;
    }

    /** The accounts stored. */
    public Set<String> accountIds() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    /** How many accounts are stored. */
    public int size() {
        return entries.size();
    }

    /**
     * What an account stores right after a transition at {@code at} (SPEC §10: bands are rewritten
     * whenever the account is evaluated; an account event changes them at once): its
     * {@link TriggerBands#forAccount} at the snapshot's marks and the states the transition left,
     * with the sub-accounts whose hand-off a hold may have kept from {@code LIQUIDATION} (stored
     * {@code CRITICAL} while a suspect mark holds or the venue holds hand-offs, SPEC §3.5) given
     * {@link TriggerBands.Band#EMPTY}; and, per instrument slot, the earliest instant a reminder of a
     * sub-account depending on it falls due.
     *
     * @param states stored state per sub-account id, null for one never changed (initial)
     */
    public static Entry entry(List<SubAccount> subs, VenueSnapshot snapshot, Function<String, MarginState> states,
                              Instant at) {
        Venue venue = snapshot.catalog().venue();
        Map<Integer, TriggerBands.Band> bands = TriggerBands.forAccount(subs, snapshot.marks(),
                id -> {
                    MarginState s = states.apply(id);
                    return s == null ? Level.HEALTHY : s.level();
                },
                sub -> {
                    MarginState s = states.apply(sub.id());
                    return s != null && s.level() == Level.CRITICAL
                            && (venue.handoffsHeld() || snapshot.suspectHolds(sub, at));
                });
        Map<Integer, Instant> reminders = new TreeMap<>();
        for (SubAccount sub : subs) {
            MarginState s = states.apply(sub.id());
            if (s == null || !s.callOpen() || s.lastNoticeAt() == null) {
                continue;
            }
            Instant due = s.lastNoticeAt().plusSeconds(venue.reminderSeconds());
            for (int k = 2; k < sub.ref.length; k++) {
                reminders.merge(sub.ref[k], due, (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        return new Entry(bands, reminders);
    }

    /**
     * What an account never evaluated stores: {@link TriggerBands.Band#EMPTY} on every instrument
     * it depends on (the first tick of each reads it), no reminder.
     */
    public static Entry unevaluated(List<SubAccount> subs) {
        Map<Integer, TriggerBands.Band> bands = new TreeMap<>();
        for (SubAccount sub : subs) {
            bands.putAll(TriggerBands.empty(sub));
        }
        return new Entry(bands, Map.of());
    }
}
