package org.margincall.engine.scenario;

import org.margincall.engine.domain.Timestamps;
import static org.margincall.engine.codec.JsonFields.array;
import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.optionalDecimal;
import static org.margincall.engine.codec.JsonFields.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.Decimals;
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

    public static Scenario read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("scenario", file.toString(), "is not a readable file");
        }
        try {
            return parse(new ObjectMapper().readTree(file.toFile()));
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("scenario", file.toString(),
                    "is not valid JSON (line " + e.getLocation().getLineNr() + "): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("scenario", file.toString(), "cannot be read: " + e.getMessage());
        }
    }

    public static Scenario parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("$", root == null ? null : root.getNodeType().toString(), "must be a JSON object");
        }
        Catalog catalog = CatalogJson.catalog(root, null);
        Map<String, Account> accounts = new LinkedHashMap<>();
        JsonNode arr = array(root, "$", "accounts");
        for (int i = 0; i < arr.size(); i++) {
            Account a = CatalogJson.account(arr.get(i), "accounts[" + i + "]", catalog);
            if (accounts.put(a.accountId(), a) != null) {
                throw new InvalidInputException("accounts[" + i + "].accountId", a.accountId(), "appears twice");
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
        java.util.Set<String> priced = new java.util.HashSet<>();
        for (ScenarioEvent e : events) {
            if (e instanceof ScenarioEvent.Price p) {
                priced.add(p.instrument());
            } else if (e instanceof ScenarioEvent.Reduce r && !priced.contains(r.instrument())) {
                throw new InvalidInputException("events[" + r.index() + "].instrument", r.instrument(),
                        "has no mark yet at " + r.at() + " to close the reduction at");
            }
        }
        return new Scenario(catalog, List.copyOf(accounts.values()), List.copyOf(events));
    }

    private static ScenarioEvent event(JsonNode e, int i, Catalog catalog, Map<String, Account> accounts) {
        String path = "events[" + i + "]";
        Instant at = instant(text(e, path, "at"), path + ".at");
        String type = text(e, path, "type");
        switch (type) {
            case "PRICE" -> {
                String instrument = text(e, path, "instrument");
                catalog.slot(path + ".instrument", instrument);
                JsonNode seq = e.get("sequence");
                if (seq == null || !seq.isIntegralNumber() || seq.asLong() < 0) {
                    throw new InvalidInputException(path + ".sequence", seq == null ? null : seq.toString(),
                            "must be a non-negative whole number");
                }
                return new ScenarioEvent.Price(at, i, instrument,
                        Decimals.positive(path + ".markPrice", decimal(e, path, "markPrice")),
                        optionalDecimal(e, path, "indexPrice"), seq.asLong());
            }
            case "DEPOSIT" -> {
                String account = knownAccount(e, path, accounts);
                String asset = text(e, path, "asset");
                catalog.asset(path + ".asset", asset);
                return new ScenarioEvent.Deposit(at, i, account, asset, decimal(e, path, "amount"));
            }
            case "REDUCE" -> {
                String account = knownAccount(e, path, accounts);
                String instrument = text(e, path, "instrument");
                catalog.slot(path + ".instrument", instrument);
                if (accounts.get(account).position(instrument) == null) {
                    throw new InvalidInputException(path + ".instrument", instrument,
                            "account " + account + " holds no position in it");
                }
                return new ScenarioEvent.Reduce(at, i, account, instrument, decimal(e, path, "size"));
            }
            default -> throw new InvalidInputException(path + ".type", type, "must be PRICE, DEPOSIT or REDUCE");
        }
    }

    private static String knownAccount(JsonNode e, String path, Map<String, Account> accounts) {
        String account = text(e, path, "accountId");
        if (!accounts.containsKey(account)) {
            throw new InvalidInputException(path + ".accountId", account, "is not an account of the scenario");
        }
        return account;
    }

    static Instant instant(String text, String field) {
        return Timestamps.parse(field, text);
    }
}
