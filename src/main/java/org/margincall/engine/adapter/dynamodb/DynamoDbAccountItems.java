package org.margincall.engine.adapter.dynamodb;

import static org.margincall.engine.adapter.dynamodb.VenueStore.n;
import static org.margincall.engine.adapter.dynamodb.VenueStore.s;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.PendingDeposit;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.StoredAccount;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * Account items (docs/data-model.md). An account item holds the account,
 * the margin state of every sub-account, its outbox and pending escalation starts, and a version
 * every transition checks: one item read to evaluate, one conditional write to commit (dynalite
 * has no transactions, and a single item is atomic in DynamoDB too).
 */
@ApplicationScoped
public class DynamoDbAccountItems implements AccountItems {
    private static final int BATCH_GET = 100;

    private final DynamoDbClient ddb;
    private final String table;
    private final ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "ddb-scan");
        t.setDaemon(true);
        return t;
    });

    public DynamoDbAccountItems(DynamoDbClient ddb, EngineConfig config) {
        this.ddb = ddb;
        this.table = config.table();
    }

    @Override
    public void create(String venueId, Account account, long lastEventSequence) {
        ddb.putItem(b -> b.tableName(table).item(newItem(venueId, account, lastEventSequence)));
    }

    @Override
    public boolean createIfAbsent(String venueId, Account account, long lastEventSequence) {
        try {
            ddb.putItem(b -> b.tableName(table).item(newItem(venueId, account, lastEventSequence))
                    .conditionExpression("attribute_not_exists(pk)"));
            return true;
        } catch (ConditionalCheckFailedException exists) {
            return false;
        }
    }

    private Map<String, AttributeValue> newItem(String venueId, Account account, long lastEventSequence) {
        Map<String, AttributeValue> item = accountAttributes(account);
        item.put(Keys.PK, s(Keys.account(venueId, account.accountId())));
        item.put(Keys.SK, s(Keys.ACCOUNT_SK));
        item.put("venueId", s(venueId));
        item.put("accountId", s(account.accountId()));
        item.put("states", AttributeValue.fromM(Map.of()));
        item.put("outbox", AttributeValue.fromM(Map.of()));
        item.put("escalations", AttributeValue.fromM(Map.of()));
        item.put("outboxSeq", n(0));
        item.put("lastEventSeq", n(lastEventSequence));
        item.put("version", n(0));
        return item;
    }

    @Override
    public Optional<StoredAccount> get(String venueId, String accountId) {
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(table).consistentRead(true)
                .key(key(venueId, accountId))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(AccountCodec.decode(item));
    }

    /** Reads many accounts, 100 keys a request, retrying what DynamoDB leaves unprocessed. */
    @Override
    public List<StoredAccount> getAll(String venueId, List<String> accountIds) {
        List<StoredAccount> out = new ArrayList<>(accountIds.size());
        for (int from = 0; from < accountIds.size(); from += BATCH_GET) {
            List<Map<String, AttributeValue>> keys = new ArrayList<>();
            for (String id : accountIds.subList(from, Math.min(accountIds.size(), from + BATCH_GET))) {
                keys.add(key(venueId, id));
            }
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
            while (!request.isEmpty()) {
                Map<String, KeysAndAttributes> req = request;
                BatchGetItemResponse r = ddb.batchGetItem(b -> b.requestItems(req));
                r.responses().getOrDefault(table, List.of()).forEach(i -> out.add(AccountCodec.decode(i)));
                request = r.hasUnprocessedKeys() ? r.unprocessedKeys() : Map.of();
            }
        }
        out.sort(Comparator.comparing(a -> a.account().accountId()));
        return out;
    }

    /**
     * One conditional update of the item: new sub-account states, outbox entries and escalation
     * starts, and (for a venue event) the account's collateral, positions and event sequence, if
     * and only if the version is unchanged.
     */
    @Override
    public boolean commit(Commit c) {
        StoredAccount current = c.current();
        Account changed = c.changed();
        long eventSeq = c.eventSequence();
        Map<String, MarginState> states = c.states();
        List<StoredAccount.OutboxEntry> outbox = c.outbox();
        List<StoredAccount.PendingEscalation> escalations = c.escalations();
        List<String> sets = new ArrayList<>();
        List<String> removes = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        if (changed != null) {
            Map<String, AttributeValue> attrs = accountAttributes(changed);
            for (String k : List.of("collateral", "positions", "pendingDeposits")) {
                sets.add(k + " = :" + k);
                values.put(":" + k, attrs.get(k));
            }
            if (attrs.containsKey("warning")) {
                sets.add("warning = :warning");
                values.put(":warning", attrs.get("warning"));
            } else {
                removes.add("warning");
            }
            sets.add("lastEventSeq = :eventSeq");
            values.put(":eventSeq", n(eventSeq));
        }
        int i = 0;
        for (Map.Entry<String, MarginState> e : states.entrySet()) {
            names.put("#s" + i, e.getKey());
            values.put(":s" + i, StateCodec.encode(e.getValue()));
            sets.add("states.#s" + i + " = :s" + i);
            i++;
        }
        i = 0;
        long seq = current.outbox().stream().mapToLong(StoredAccount.OutboxEntry::seq).max().orElse(0);
        for (StoredAccount.OutboxEntry o : outbox) {
            names.put("#o" + i, o.id());
            values.put(":o" + i, AccountCodec.encodeOutbox(o));
            sets.add("outbox.#o" + i + " = :o" + i);
            seq = Math.max(seq, o.seq());
            i++;
        }
        i = 0;
        for (StoredAccount.PendingEscalation p : escalations) {
            names.put("#e" + i, p.callId());
            values.put(":e" + i, AttributeValue.fromM(Map.of("executionName", s(p.executionName()), "input", s(p.input()))));
            sets.add("escalations.#e" + i + " = :e" + i);
            i++;
        }
        if (c.bandRows() != null) {
            List<AttributeValue> rows = new ArrayList<>(c.bandRows().size());
            for (org.margincall.engine.service.port.BandIndex.Row r : c.bandRows()) {
                rows.add(s(r.encode()));
            }
            sets.add("bands = :bands");
            values.put(":bands", AttributeValue.fromL(rows));
        }
        if (c.forgetBands()) {
            removes.add("bands");
        }
        sets.add("outboxSeq = :seq");
        sets.add("version = :next");
        values.put(":seq", n(seq));
        values.put(":next", n(current.version() + 1));
        values.put(":expected", n(current.version()));
        try {
            String update = "SET " + String.join(", ", sets) + (removes.isEmpty() ? "" : " REMOVE " + String.join(", ", removes));
            ddb.updateItem(b -> {
                b.tableName(table).key(key(current.venueId(), current.account().accountId()))
                        .updateExpression(update).conditionExpression("version = :expected").expressionAttributeValues(values);
                if (!names.isEmpty()) {
                    b.expressionAttributeNames(names); // DynamoDB refuses an empty map
                }
            });
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /**
     * Every account of a venue, read by {@code segments} parallel scan segments, each page handed
     * to {@code page} on that segment's thread.
     */
    @Override
    public void scanAll(String venueId, int segments, java.util.function.Consumer<List<StoredAccount>> page) {
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int seg = 0; seg < segments; seg++) {
            int segment = seg;
            parts.add(CompletableFuture.runAsync(() -> {
                Map<String, AttributeValue> start = null;
                do {
                    ScanRequest.Builder sc = ScanRequest.builder().tableName(table).segment(segment).totalSegments(segments)
                            .filterExpression("sk = :acct AND venueId = :v")
                            .expressionAttributeValues(Map.of(":acct", s(Keys.ACCOUNT_SK), ":v", s(venueId)));
                    if (start != null) {
                        sc.exclusiveStartKey(start);
                    }
                    ScanResponse r = ddb.scan(sc.build());
                    List<StoredAccount> accounts = new ArrayList<>(r.items().size());
                    r.items().forEach(i -> accounts.add(AccountCodec.decode(i)));
                    page.accept(accounts);
                    start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
                } while (start != null);
            }, pool));
        }
        CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).join();
    }

    @Override
    public boolean forgetBands(String venueId, String accountId) {
        try {
            ddb.updateItem(b -> b.tableName(table).key(key(venueId, accountId))
                    .updateExpression("REMOVE bands SET version = version + :one")
                    .conditionExpression("attribute_exists(pk)")
                    .expressionAttributeValues(Map.of(":one", n(1))));
            return true;
        } catch (ConditionalCheckFailedException absent) {
            return false;
        }
    }

    /** Accounts with unpublished notifications or unstarted escalations (for the sweep). */
    @Override
    public List<StoredAccount> withPendingWork(String venueId) {
        List<StoredAccount> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            ScanRequest.Builder sc = ScanRequest.builder().tableName(table).consistentRead(true)
                    .filterExpression("sk = :acct AND venueId = :v AND (size(outbox) > :zero OR size(escalations) > :zero)")
                    .expressionAttributeValues(Map.of(":acct", s(Keys.ACCOUNT_SK), ":v", s(venueId), ":zero", n(0)));
            if (start != null) {
                sc.exclusiveStartKey(start);
            }
            ScanResponse r = ddb.scan(sc.build());
            r.items().forEach(i -> out.add(AccountCodec.decode(i)));
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    static Map<String, AttributeValue> key(String venueId, String accountId) {
        return Map.of(Keys.PK, s(Keys.account(venueId, accountId)), Keys.SK, s(Keys.ACCOUNT_SK));
    }

    static Map<String, AttributeValue> accountAttributes(Account a) {
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        Map<String, AttributeValue> coll = new LinkedHashMap<>();
        a.collateral().forEach((asset, amount) -> coll.put(asset, s(amount.toPlainString())));
        item.put("collateral", AttributeValue.fromM(coll));
        List<AttributeValue> ps = new ArrayList<>();
        for (Position p : a.positions()) {
            Map<String, AttributeValue> m = new LinkedHashMap<>();
            m.put("instrument", s(p.instrument()));
            m.put("size", s(p.size().toPlainString()));
            m.put("entryPrice", s(p.entryPrice().toPlainString()));
            if (p.isolatedMargin() != null) {
                m.put("isolatedMargin", s(p.isolatedMargin().toPlainString()));
            }
            ps.add(AttributeValue.fromM(m));
        }
        item.put("positions", AttributeValue.fromL(ps));
        if (a.warning() != null) {
            item.put("warning", s(a.warning().toPlainString()));
        }
        List<AttributeValue> pending = new ArrayList<>();
        for (PendingDeposit d : a.pendingDeposits()) {
            pending.add(AttributeValue.fromM(Map.of("asset", s(d.asset()), "amount", s(d.amount().toPlainString()),
                    "reference", s(d.reference()), "expectedBy", s(Timestamps.format(d.expectedBy())))));
        }
        item.put("pendingDeposits", AttributeValue.fromL(pending));
        return item;
    }

    static BigDecimal decimal(AttributeValue v) {
        return v == null ? null : new BigDecimal(v.s());
    }

    /**
     * A venue snapshot's account (SPEC §5.2 sequence): a put conditional on the item's absence,
     * else one update of the venue-reported attributes conditional on the stored
     * {@code lastEventSeq} being older, which also bumps the version (a concurrent transition then
     * loses its race and re-reads). States, outbox and escalation starts are never written here.
     */
    @Override
    public ImportResult importAccount(String venueId, Account account, long sequence) {
        for (int attempt = 1; ; attempt++) {
            try {
                ddb.putItem(b -> b.tableName(table).item(newItem(venueId, account, sequence))
                        .conditionExpression("attribute_not_exists(pk)").returnValuesOnConditionCheckFailure(
                                software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure.ALL_OLD));
                return new ImportResult(ImportOutcome.CREATED, null, sequence);
            } catch (ConditionalCheckFailedException exists) {
                // DynamoDB returns the stored item (dynalite does not): a current one needs no second request
                if (exists.hasItem() && !exists.item().isEmpty()) {
                    StoredAccount stored = AccountCodec.decode(exists.item());
                    if (stored.lastEventSequence() >= sequence) {
                        return new ImportResult(stored.lastEventSequence() == sequence ? ImportOutcome.UNCHANGED
                                : ImportOutcome.SKIPPED_NEWER, stored.account(), stored.lastEventSequence());
                    }
                }
            }
            Map<String, AttributeValue> attrs = accountAttributes(account);
            Map<String, AttributeValue> values = new HashMap<>();
            List<String> sets = new ArrayList<>();
            for (String k : List.of("collateral", "positions", "pendingDeposits")) {
                sets.add(k + " = :" + k);
                values.put(":" + k, attrs.get(k));
            }
            // the recorded band rows were computed for the old exposure: the item owns the
            // unevaluated rows again (the service wrote them before this write, SPEC §10)
            String remove = " REMOVE bands";
            if (attrs.containsKey("warning")) {
                sets.add("warning = :warning");
                values.put(":warning", attrs.get("warning"));
            } else {
                remove += ", warning";
            }
            sets.add("lastEventSeq = :seq");
            sets.add("version = version + :one");
            values.put(":seq", n(sequence));
            values.put(":one", n(1));
            String update = "SET " + String.join(", ", sets) + remove;
            try {
                software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse r = ddb.updateItem(b -> b.tableName(table)
                        .key(key(venueId, account.accountId())).updateExpression(update)
                        .conditionExpression("attribute_exists(pk) AND (attribute_not_exists(lastEventSeq) OR lastEventSeq < :seq)")
                        .expressionAttributeValues(values)
                        .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_OLD));
                return new ImportResult(ImportOutcome.UPDATED, AccountCodec.decode(r.attributes()).account(), sequence);
            } catch (ConditionalCheckFailedException notOlder) {
                Optional<StoredAccount> stored = get(venueId, account.accountId());
                if (stored.isPresent() && stored.get().lastEventSequence() >= sequence) {
                    long at = stored.get().lastEventSequence();
                    return new ImportResult(at == sequence ? ImportOutcome.UNCHANGED : ImportOutcome.SKIPPED_NEWER,
                            stored.get().account(), at);
                }
                // deleted between the two writes: decide again
                if (attempt == 3) {
                    throw new IllegalStateException("account " + account.accountId() + " of venue " + venueId
                            + " kept changing during " + attempt + " import attempts");
                }
            }
        }
    }
}
