package org.margincall.engine.service;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Marks;
import org.margincall.engine.domain.AcceptedMark;
import org.margincall.engine.domain.PriceArrival;
import org.margincall.engine.domain.PriceStamp;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.BandIndex;
import org.margincall.engine.service.port.EscalationScheduler;
import org.margincall.engine.service.port.HoldingsIndex;
import org.margincall.engine.service.port.LiquidationSink;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.NotificationSink;
import org.margincall.engine.service.port.OperationsChannel;
import org.margincall.engine.service.port.OutboxClaims;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.StoredAccount.OutboxEntry;
import org.margincall.engine.service.port.StoredAccount.PendingEscalation;
import org.margincall.engine.service.port.UnknownVenueException;
import org.margincall.engine.service.port.VenueRepository;

/**
 * In-memory implementations of every port the service owns, with the same semantics as the AWS
 * adapters (versioned conditional commits, outbox claims that expire), plus hooks a test uses to
 * make another writer win a race or a delivery fail. The whole engine in one JVM, no Quarkus.
 */
final class InMemoryPorts {
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    final Venues venues = new Venues();
    final Accounts accounts = new Accounts();
    final Holdings holdings = new Holdings();
    final Bands bands = new Bands();
    final Claims claims = new Claims();
    final Sns sns = new Sns();
    final Liquidations liquidations = new Liquidations();
    final Scheduler scheduler = new Scheduler();
    final Alerts alerts = new Alerts();
    final CountingMetrics metrics = new CountingMetrics();
    final Chunks chunks = new Chunks();
    final TestConfig config = new TestConfig();
    final Parallel parallel = new Parallel(4);
    final Delivery delivery = new Delivery(claims, sns, liquidations, scheduler, parallel, metrics, config, clock);
    final TransitionCommitter committer = new TransitionCommitter(accounts, venues, bands, delivery, metrics, config, clock);
    final MarginService service = MarginService.wire(venues, accounts, holdings, bands, chunks, committer, delivery,
            new StaleFeedWatch(venues, alerts, metrics), parallel, metrics, config, clock);
    final VenueOperations operations = new VenueOperations(venues, alerts, clock);

    static String key(String venueId, String accountId) {
        return venueId + "|" + accountId;
    }

    /** A clock a test moves by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    static final class Venues implements VenueRepository {
        final Map<String, Catalog> catalogs = new ConcurrentHashMap<>();
        final Map<String, BigDecimal> prices = new ConcurrentHashMap<>();
        final Map<String, PriceStamp> stamps = new ConcurrentHashMap<>();
        final Map<String, AcceptedMark> marks = new ConcurrentHashMap<>();
        final Set<String> staleReported = ConcurrentHashMap.newKeySet();
        /** Loads to let through before one fails (a throttled read); negative: none fails. */
        final java.util.concurrent.atomic.AtomicInteger failLoadAfter = new java.util.concurrent.atomic.AtomicInteger(-1);

        @Override
        public VenueSnapshot load(String venueId) {
            if (failLoadAfter.get() >= 0 && failLoadAfter.getAndDecrement() == 0) {
                throw new IllegalStateException("injected: the venue read failed");
            }
            Catalog c = catalogs.get(venueId);
            if (c == null) {
                throw new UnknownVenueException(venueId);
            }
            VenueSnapshot snap = new VenueSnapshot(c, new Marks(c), new HashMap<>());
            prices.forEach((k, v) -> {
                if (k.startsWith(venueId + "|")) {
                    AcceptedMark m = marks.get(k);
                    PriceArrival.apply(snap, m != null ? m
                            : new AcceptedMark(k.substring(venueId.length() + 1), v, stamps.get(k), null, false, null));
                }
            });
            return snap;
        }

        @Override
        public synchronized boolean storeIfNewer(String venueId, String instrument, BigDecimal markPrice, PriceStamp stamp,
                                                 String source) {
            String k = venueId + "|" + instrument;
            if (!stamp.isNewerThan(stamps.get(k))) {
                return false;
            }
            stamps.put(k, stamp);
            prices.put(k, markPrice);
            marks.remove(k);
            return true;
        }

        @Override
        public synchronized boolean storeIfUnchanged(String venueId, AcceptedMark mark, PriceStamp previous) {
            String k = venueId + "|" + mark.instrument();
            if (!java.util.Objects.equals(stamps.get(k), previous)) {
                return false;
            }
            stamps.put(k, mark.stamp());
            prices.put(k, mark.price());
            marks.put(k, mark);
            return true;
        }

        @Override
        public void setHandoffsHeld(String venueId, boolean held) {
            Catalog c = catalogs.get(venueId);
            if (c == null) {
                throw new UnknownVenueException(venueId);
            }
            catalogs.put(venueId, new Catalog(c.venue().withHandoffsHeld(held), List.copyOf(c.instruments()),
                    List.copyOf(c.collateralAssets())));
        }

        @Override
        public boolean markStaleReported(String venueId, String instrument, long timestampMillis) {
            return staleReported.add(venueId + "|" + instrument + "|" + timestampMillis);
        }

        @Override
        public void unmarkStaleReported(String venueId, String instrument, long timestampMillis) {
            staleReported.remove(venueId + "|" + instrument + "|" + timestampMillis);
        }
    }

    final class Accounts implements AccountItems {
        final Map<String, StoredAccount> items = new ConcurrentHashMap<>();
        /** Runs before each commit is checked (a test lets another writer in here); null for none. */
        volatile Consumer<Commit> beforeCommit;
        /**
         * Runs after a commit was applied; when it answers true the caller is told the commit
         * failed (a lost answer whose retry then failed its condition); null for none.
         */
        volatile java.util.function.Predicate<Commit> afterCommit;
        final AtomicLong commitsRefused = new AtomicLong();

        @Override
        public void create(String venueId, Account account, long lastEventSequence) {
            items.put(key(venueId, account.accountId()), new StoredAccount(venueId, account, Map.of(), List.of(), List.of(),
                    0, lastEventSequence));
        }

        @Override
        public boolean createIfAbsent(String venueId, Account account, long lastEventSequence) {
            return items.putIfAbsent(key(venueId, account.accountId()), new StoredAccount(venueId, account, Map.of(),
                    List.of(), List.of(), 0, lastEventSequence)) == null;
        }

        @Override
        public Optional<StoredAccount> get(String venueId, String accountId) {
            return Optional.ofNullable(items.get(key(venueId, accountId)));
        }

        @Override
        public List<StoredAccount> getAll(String venueId, List<String> accountIds) {
            List<StoredAccount> out = new ArrayList<>();
            for (String id : new LinkedHashSet<>(accountIds)) {
                get(venueId, id).ifPresent(out::add);
            }
            out.sort(Comparator.comparing(a -> a.account().accountId()));
            return out;
        }

        @Override
        public boolean commit(Commit c) {
            Consumer<Commit> hook = beforeCommit;
            if (hook != null) {
                hook.accept(c);
            }
            String k = key(c.current().venueId(), c.current().account().accountId());
            synchronized (this) {
                StoredAccount stored = items.get(k);
                if (stored == null || stored.version() != c.current().version()) {
                    commitsRefused.incrementAndGet();
                    return false;
                }
                Map<String, MarginState> states = new LinkedHashMap<>(stored.states());
                states.putAll(c.states());
                List<OutboxEntry> outbox = new ArrayList<>(stored.outbox());
                outbox.addAll(c.outbox());
                outbox.sort(Comparator.comparingLong(OutboxEntry::seq));
                Map<String, PendingEscalation> esc = new LinkedHashMap<>();
                stored.escalations().forEach(e -> esc.put(e.callId(), e));
                c.escalations().forEach(e -> esc.put(e.callId(), e));
                items.put(k, new StoredAccount(stored.venueId(), c.changed() != null ? c.changed() : stored.account(),
                        Map.copyOf(states), List.copyOf(outbox), List.copyOf(esc.values()), stored.version() + 1,
                        c.changed() != null ? c.eventSequence() : stored.lastEventSequence(),
                        c.forgetBands() ? null : c.bandRows() != null ? Set.copyOf(c.bandRows()) : stored.bandRows()));
                java.util.function.Predicate<Commit> after = afterCommit;
                return after == null || !after.test(c);
            }
        }

        @Override
        public void scanAll(String venueId, int segments, Consumer<List<StoredAccount>> page) {
            List<StoredAccount> all = new ArrayList<>();
            items.values().stream().filter(a -> a.venueId().equals(venueId)).forEach(all::add);
            all.sort(Comparator.comparing(a -> a.account().accountId()));
            page.accept(all);
        }

        @Override
        public List<StoredAccount> withPendingWork(String venueId) {
            List<StoredAccount> out = new ArrayList<>();
            items.values().stream().filter(a -> a.venueId().equals(venueId))
                    .filter(a -> !a.outbox().isEmpty() || !a.escalations().isEmpty()).forEach(out::add);
            return out;
        }

        @Override
        public synchronized boolean forgetBands(String venueId, String accountId) {
            return items.computeIfPresent(key(venueId, accountId), (k, a) -> new StoredAccount(a.venueId(), a.account(),
                    a.states(), a.outbox(), a.escalations(), a.version() + 1, a.lastEventSequence(), null)) != null;
        }

        /** Replaces one stored item's outbox or escalations without bumping the version (claims, removals). */
        synchronized void edit(String venueId, String accountId, java.util.function.UnaryOperator<StoredAccount> f) {
            items.computeIfPresent(key(venueId, accountId), (k, a) -> f.apply(a));
        }

        /** As the DynamoDB adapter: create if absent, else replace the venue-reported state only if older; version + 1. */
        @Override
        public synchronized ImportResult importAccount(String venueId, Account account, long sequence) {
            String k = key(venueId, account.accountId());
            StoredAccount stored = items.get(k);
            if (stored == null) {
                items.put(k, new StoredAccount(venueId, account, Map.of(), List.of(), List.of(), 0, sequence));
                return new ImportResult(ImportOutcome.CREATED, null, sequence);
            }
            if (stored.lastEventSequence() >= sequence) {
                return new ImportResult(stored.lastEventSequence() == sequence ? ImportOutcome.UNCHANGED
                        : ImportOutcome.SKIPPED_NEWER, stored.account(), stored.lastEventSequence());
            }
            items.put(k, new StoredAccount(venueId, account, stored.states(), stored.outbox(), stored.escalations(),
                    stored.version() + 1, sequence, null));
            return new ImportResult(ImportOutcome.UPDATED, stored.account(), sequence);
        }
    }

    static final class Holdings implements HoldingsIndex {
        final Map<String, Set<String>> rows = new ConcurrentHashMap<>(); // instrument key -> account ids
        /** Fails the next puts (a DynamoDB error after the account's commit). */
        volatile int failPuts;

        @Override
        public List<String> holders(String venueId, String instrument) {
            List<String> out = new ArrayList<>(rows.getOrDefault(venueId + "|" + instrument, Set.of()));
            java.util.Collections.sort(out);
            return out;
        }

        @Override
        public void put(String venueId, String accountId, Set<String> instruments) {
            if (failPuts > 0) {
                failPuts--;
                throw new IllegalStateException("injected: holdings write failed");
            }
            for (String i : instruments) {
                rows.computeIfAbsent(venueId + "|" + i, k -> ConcurrentHashMap.newKeySet()).add(accountId);
            }
        }

        @Override
        public void remove(String venueId, String accountId, Set<String> instruments) {
            for (String i : instruments) {
                rows.getOrDefault(venueId + "|" + i, new java.util.HashSet<>()).remove(accountId);
            }
        }
    }

    /**
     * Band rows as a set, queried as the DynamoDB adapter does (string order of the edge keys),
     * with hooks: puts that fail, deletes skipped (superseded rows left behind).
     */
    static final class Bands implements BandIndex {
        record Stored(String venueId, String accountId, Row row) {
        }

        final Set<Stored> rows = ConcurrentHashMap.newKeySet();
        /** Fails the next puts (a DynamoDB error before the commit). */
        volatile int failPuts;
        /** Skips every delete (superseded rows stay). */
        volatile boolean skipDeletes;
        /** Runs before each put (a test lets a tick in between a decision's read and its rows); null for none. */
        volatile Runnable beforePut;
        final AtomicLong queries = new AtomicLong();

        @Override
        public Set<String> crossed(String venueId, String instrument, double price, Instant at) {
            queries.incrementAndGet();
            Set<String> out = new java.util.TreeSet<>();
            for (Stored s : rows) {
                if (s.venueId().equals(venueId) && s.row().instrument().equals(instrument) && s.row().crossedBy(price, at)) {
                    out.add(s.accountId());
                }
            }
            return out;
        }

        @Override
        public void put(String venueId, String accountId, java.util.Collection<Row> put) {
            Runnable hook = beforePut;
            if (hook != null) {
                beforePut = null;
                hook.run();
            }
            if (failPuts > 0) {
                failPuts--;
                throw new IllegalStateException("injected: band rows write failed");
            }
            put.forEach(r -> rows.add(new Stored(venueId, accountId, r)));
        }

        @Override
        public void deleteAll(String venueId, Map<String, ? extends java.util.Collection<Row>> byAccount) {
            if (!skipDeletes) {
                byAccount.forEach((accountId, delete) -> delete.forEach(r -> rows.remove(new Stored(venueId, accountId, r))));
            }
        }

        @Override
        public Map<String, Set<Row>> rows(String venueId, String instrument) {
            Map<String, Set<Row>> out = new java.util.HashMap<>();
            for (Stored s : rows) {
                if (s.venueId().equals(venueId) && s.row().instrument().equals(instrument)) {
                    out.computeIfAbsent(s.accountId(), k -> new java.util.HashSet<>()).add(s.row());
                }
            }
            return out;
        }

        /** The rows stored for one account. */
        Set<Row> of(String venueId, String accountId) {
            Set<Row> out = new java.util.HashSet<>();
            for (Stored s : rows) {
                if (s.venueId().equals(venueId) && s.accountId().equals(accountId)) {
                    out.add(s.row());
                }
            }
            return out;
        }
    }

    final class Claims implements OutboxClaims {
        @Override
        public boolean claim(String venueId, String accountId, String entryId, String claimant, long nowMillis,
                             long staleBeforeMillis) {
            boolean[] taken = {false};
            accounts.edit(venueId, accountId, a -> withOutbox(a, a.outbox().stream().map(e -> {
                if (e.id().equals(entryId) && e.claimedAtMillis() < staleBeforeMillis) {
                    taken[0] = true;
                    return new OutboxEntry(e.id(), e.channel(), e.seq(), e.body(), e.type(), e.level(), e.accountId(),
                            claimant, nowMillis);
                }
                return e;
            }).toList()));
            return taken[0];
        }

        @Override
        public void release(String venueId, String accountId, List<String> entryIds) {
            accounts.edit(venueId, accountId, a -> withOutbox(a, a.outbox().stream().map(e -> entryIds.contains(e.id())
                    ? new OutboxEntry(e.id(), e.channel(), e.seq(), e.body(), e.type(), e.level(), e.accountId(),
                    e.claimedBy(), 0) : e).toList()));
        }

        @Override
        public void removeOutbox(String venueId, String accountId, List<String> entryIds) {
            accounts.edit(venueId, accountId, a -> withOutbox(a,
                    a.outbox().stream().filter(e -> !entryIds.contains(e.id())).toList()));
        }

        @Override
        public void removeEscalations(String venueId, String accountId, List<String> callIds) {
            accounts.edit(venueId, accountId, a -> new StoredAccount(a.venueId(), a.account(), a.states(), a.outbox(),
                    a.escalations().stream().filter(e -> !callIds.contains(e.callId())).toList(), a.version(),
                    a.lastEventSequence(), a.bandRows()));
        }

        private StoredAccount withOutbox(StoredAccount a, List<OutboxEntry> outbox) {
            return new StoredAccount(a.venueId(), a.account(), a.states(), outbox, a.escalations(), a.version(),
                    a.lastEventSequence(), a.bandRows());
        }
    }

    /** SNS: records every accepted body in order; {@code failing} refuses everything (an outage). */
    static final class Sns implements NotificationSink {
        final List<String> acceptedIds = new CopyOnWriteArrayList<>();
        final List<String> bodies = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        @Override
        public Set<String> publish(String venueId, List<OutboxEntry> entries) {
            if (failing) {
                return Set.of();
            }
            Set<String> ok = new LinkedHashSet<>();
            for (OutboxEntry e : entries) {
                acceptedIds.add(e.id());
                bodies.add(e.body());
                ok.add(e.id());
            }
            return ok;
        }
    }

    static final class Liquidations implements LiquidationSink {
        final List<String> acceptedIds = new CopyOnWriteArrayList<>();

        @Override
        public Set<String> put(List<OutboxEntry> entries) {
            Set<String> ok = new LinkedHashSet<>();
            entries.forEach(e -> {
                acceptedIds.add(e.id());
                ok.add(e.id());
            });
            return ok;
        }
    }

    /** Step Functions: execution names are unique, as in AWS. */
    static final class Scheduler implements EscalationScheduler {
        final Set<String> executions = ConcurrentHashMap.newKeySet();
        final AtomicLong startCalls = new AtomicLong();
        volatile boolean failing;

        @Override
        public boolean start(PendingEscalation escalation) {
            startCalls.incrementAndGet();
            if (failing) {
                return false;
            }
            executions.add(escalation.executionName());
            return true;
        }
    }

    static final class Alerts implements OperationsChannel {
        final List<String> sent = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void alert(String venueId, String type, String body) {
            sent.add(type + " " + body);
        }
    }

    /** The worker queue: chunks wait here until a test hands them to the service, as the worker would. */
    static final class Chunks implements org.margincall.engine.service.port.ChunkQueue {
        final java.util.concurrent.ConcurrentLinkedQueue<Chunk> queued = new java.util.concurrent.ConcurrentLinkedQueue<>();
        volatile boolean enabled;

        @Override
        public void send(List<Chunk> chunks) {
            queued.addAll(chunks);
        }

        @Override
        public boolean configured() {
            return enabled;
        }
    }

    static final class CountingMetrics implements Metrics {
        final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();

        @Override
        public void count(String name, long n) {
            totals.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
        }

        final Map<String, List<Double>> durations = new ConcurrentHashMap<>();

        @Override
        public void millis(String name, double ms) {
            durations.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(ms);
        }

        long total(String name) {
            AtomicLong v = totals.get(name);
            return v == null ? 0 : v.get();
        }
    }

    static final class TestConfig implements EngineConfig {
        volatile int chunkSize = 500;

        public String venueId() { return "demo"; }
        public String table() { return "margin"; }
        public String notificationsTopicArn() { return "arn:aws:sns:us-east-1:000000000000:notifications"; }
        public String operationsTopicArn() { return "arn:aws:sns:us-east-1:000000000000:operations"; }
        public String escalationStateMachineArn() { return "arn:aws:states:us-east-1:000000000000:stateMachine:esc"; }
        public String eventBusName() { return "default"; }
        public String eventSource() { return "margincall.engine"; }
        public int sweepSegments() { return 2; }
        public int holdingsShards() { return 1; }
        volatile boolean triggerBands = true;
        public boolean triggerBands() { return triggerBands; }
        public int bandShards() { return 2; }
        public long maxFutureSeconds() { return 5; }
        public long outboxClaimSeconds() { return 60; }
        public int evaluationThreads() { return 4; }
        public int chunkSize() { return chunkSize; }
        public Optional<String> workerQueueUrl() { return Optional.empty(); }
        public Optional<String> sfnEndpointOverride() { return Optional.empty(); }
        public Optional<String> eventbridgeEndpointOverride() { return Optional.empty(); }
        public String localRegion() { return "us-east-1"; }
    }

    // ---- hooks appended for CrashPointsTest ----

    /**
     * The engine wired exactly as {@link #service} is, over this instance's venues, metrics, config
     * and clock, but through the given ports: a test wraps the in-memory ones (e.g. so that an
     * invocation dies at a chosen step) while the stored items stay the same.
     */
    MarginService serviceOver(AccountItems accountItems, HoldingsIndex holdingsIndex, OutboxClaims outboxClaims,
                              NotificationSink notificationSink, LiquidationSink liquidationSink,
                              EscalationScheduler escalationScheduler) {
        Delivery d = new Delivery(outboxClaims, notificationSink, liquidationSink, escalationScheduler, parallel, metrics,
                config, clock);
        TransitionCommitter c = new TransitionCommitter(accountItems, venues, bands, d, metrics, config, clock);
        return MarginService.wire(venues, accountItems, holdingsIndex, bands, chunks, c, d, new StaleFeedWatch(venues, alerts, metrics),
                parallel, metrics, config, clock);
    }
}
