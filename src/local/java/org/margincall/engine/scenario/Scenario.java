package org.margincall.engine.scenario;

import static org.margincall.engine.codec.JsonFields.array;
import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.id;
import static org.margincall.engine.codec.JsonFields.object;
import static org.margincall.engine.codec.JsonFields.onlyFields;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.optionalId;
import static org.margincall.engine.codec.JsonFields.required;
import static org.margincall.engine.codec.JsonFields.sequence;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.codec.JsonFields;
import org.margincall.engine.codec.JsonFields.Range;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.InvalidInputException;

/**
 * A SPEC §7 scenario: a venue's catalog, its accounts, and events in application order (by
 * {@code at}, ties in file order). Parsing validates everything up front, so a bad file is
 * refused before anything starts.
 */
public record Scenario(Catalog catalog, List<Account> accounts, List<ScenarioEvent> events) {

    /** Sees every evaluation of a replay, for reports such as the ratio over scenario time. */
    @FunctionalInterface
    public interface Observer {
        void evaluated(Instant at, org.margincall.engine.domain.Evaluation evaluation);
    }

    /** Strict JSON text: a key given twice or anything after the document is refused, not silently resolved. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static final Set<String> ROOT_FIELDS = Set.of("venue", "instruments", "collateralAssets", "accounts", "events");
    static final Set<String> PRICE_FIELDS = Set.of("at", "type", "instrument", "markPrice", "indexPrice", "sequence", "source");
    static final Set<String> DEPOSIT_FIELDS = Set.of("at", "type", "accountId", "asset", "amount", "settles");
    static final Set<String> REDUCE_FIELDS = Set.of("at", "type", "accountId", "instrument", "size");
    static final Set<String> PENDING_DEPOSIT_FIELDS = Set.of("at", "type", "accountId", "asset", "amount", "reference", "expectedBy");

    public static Scenario read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("scenario", file.toString(), "is not a readable file");
        }
        try {
            return parse(JSON.readTree(file.toFile()));
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("scenario", file.toString(),
                    "is not valid JSON (line " + e.getLocation().getLineNr() + "): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("scenario", file.toString(), "cannot be read: " + e.getMessage());
        }
    }

    /** Parses a whole SPEC §7 document, as {@code schema/scenario-v1.schema.json} defines it, plus the rules a schema cannot state. */
    public static Scenario parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("$", root == null ? null : root.getNodeType().toString(), "must be a JSON object");
        }
        onlyFields(root, "$", ROOT_FIELDS);
        Catalog catalog = CatalogJson.catalog(root, null);
        Map<String, Account> accounts = new LinkedHashMap<>();
        JsonNode arr = array(root, "$", "accounts");
        for (int i = 0; i < arr.size(); i++) {
            String path = "$.accounts[" + i + "]";
            Account a = CatalogJson.account(arr.get(i), path, catalog);
            if (accounts.put(a.accountId(), a) != null) {
                throw new InvalidInputException(path + ".accountId", a.accountId(), "appears twice");
            }
            // Compiling rejects an account warning at or below marginCall and unknown references now.
            org.margincall.engine.domain.SubAccount.of(catalog, a);
        }
        List<ScenarioEvent> events = new ArrayList<>();
        JsonNode evs = array(root, "$", "events");
        for (int i = 0; i < evs.size(); i++) {
            events.add(event(evs.get(i), i, catalog, accounts));
        }
        events.sort(Comparator.comparing(ScenarioEvent::at).thenComparingInt(ScenarioEvent::index));
        checkInOrder(events, accounts);
        return new Scenario(catalog, List.copyOf(accounts.values()), List.copyOf(events));
    }

    /**
     * The rules that depend on what came before, in application order: a REDUCE needs a mark to
     * close at and must shrink the position it names (opposite sign, at most its size); a DEPOSIT
     * that {@code settles} must name a deposit the account reported pending before.
     */
    private static void checkInOrder(List<ScenarioEvent> events, Map<String, Account> accounts) {
        Set<String> priced = new HashSet<>();
        Map<String, BigDecimal> sizes = new HashMap<>();
        accounts.values().forEach(a -> a.positions().forEach(p -> sizes.put(a.accountId() + ":" + p.instrument(), p.size())));
        Set<String> pending = new HashSet<>();
        for (ScenarioEvent e : events) {
            String path = "$.events[" + e.index() + "]";
            if (e instanceof ScenarioEvent.Price p) {
                priced.add(p.instrument());
            } else if (e instanceof ScenarioEvent.Reduce r) {
                if (!priced.contains(r.instrument())) {
                    throw new InvalidInputException(path + ".instrument", r.instrument(),
                            "has no mark yet at " + r.at() + " to close the reduction at");
                }
                String key = r.accountId() + ":" + r.instrument();
                BigDecimal size = sizes.get(key);
                if (size.signum() == 0) {
                    throw new InvalidInputException(path + ".size", r.size().toPlainString(),
                            "account " + r.accountId() + " has no open " + r.instrument() + " position left at " + r.at());
                }
                if (r.size().signum() == size.signum() || r.size().abs().compareTo(size.abs()) > 0) {
                    throw new InvalidInputException(path + ".size", r.size().toPlainString(),
                            "must be opposite in sign to the position's size " + size.toPlainString()
                                    + " at " + r.at() + " and no larger in magnitude");
                }
                sizes.put(key, size.add(r.size()));
            } else if (e instanceof ScenarioEvent.PendingDeposit pd) {
                pending.add(pd.accountId() + ":" + pd.reference());
            } else if (e instanceof ScenarioEvent.Deposit d && d.settles() != null
                    && !pending.contains(d.accountId() + ":" + d.settles())) {
                throw new InvalidInputException(path + ".settles", d.settles(),
                        "names no PENDING_DEPOSIT of account " + d.accountId() + " before " + d.at());
            }
        }
    }

    private static ScenarioEvent event(JsonNode node, int i, Catalog catalog, Map<String, Account> accounts) {
        String path = "$.events[" + i + "]";
        JsonNode e = object(node, path);
        JsonNode typeNode = required(e, path, "type");
        String type = typeNode.isTextual() ? typeNode.textValue() : null;
        Set<String> fields = type == null ? null : switch (type) {
            case "PRICE" -> PRICE_FIELDS;
            case "DEPOSIT" -> DEPOSIT_FIELDS;
            case "REDUCE" -> REDUCE_FIELDS;
            case "PENDING_DEPOSIT" -> PENDING_DEPOSIT_FIELDS;
            default -> null;
        };
        if (fields == null) {
            throw new InvalidInputException(path + ".type", JsonFields.shown(typeNode),
                    "must be PRICE, DEPOSIT, REDUCE or PENDING_DEPOSIT");
        }
        onlyFields(e, path, fields);
        Instant at = instant(e, path, "at");
        switch (type) {
            case "PRICE" -> {
                String instrument = id(e, path, "instrument");
                catalog.slot(path + ".instrument", instrument);
                BigDecimal mark = decimal(e, path, "markPrice", Range.POSITIVE);
                BigDecimal index = optionalDecimal(e, path, "indexPrice", Range.POSITIVE);
                long sequence = sequence(e, path, "sequence", 0);
                optionalId(e, path, "source"); // §5.1 source: a label, not used by a replay
                return new ScenarioEvent.Price(at, i, instrument, mark, index, sequence);
            }
            case "DEPOSIT" -> {
                String account = knownAccount(e, path, accounts);
                String asset = id(e, path, "asset");
                catalog.asset(path + ".asset", asset);
                BigDecimal amount = decimal(e, path, "amount");
                return new ScenarioEvent.Deposit(at, i, account, asset, amount, optionalId(e, path, "settles"));
            }
            case "REDUCE" -> {
                String account = knownAccount(e, path, accounts);
                String instrument = id(e, path, "instrument");
                catalog.slot(path + ".instrument", instrument);
                if (accounts.get(account).position(instrument) == null) {
                    throw new InvalidInputException(path + ".instrument", instrument,
                            "account " + account + " holds no position in it");
                }
                return new ScenarioEvent.Reduce(at, i, account, instrument, decimal(e, path, "size", Range.NON_ZERO));
            }
            default -> {
                String account = knownAccount(e, path, accounts);
                String asset = id(e, path, "asset");
                catalog.asset(path + ".asset", asset);
                BigDecimal amount = decimal(e, path, "amount", Range.NON_NEGATIVE);
                String reference = id(e, path, "reference");
                return new ScenarioEvent.PendingDeposit(at, i, account, asset, amount, reference,
                        JsonFields.instant(e, path, "expectedBy"));
            }
        }
    }

    private static String knownAccount(JsonNode e, String path, Map<String, Account> accounts) {
        String account = JsonFields.accountId(e, path, "accountId");
        if (!accounts.containsKey(account)) {
            throw new InvalidInputException(path + ".accountId", account, "is not an account of the scenario");
        }
        return account;
    }

    private static Instant instant(JsonNode e, String path, String name) {
        return JsonFields.instant(e, path, name);
    }
}
