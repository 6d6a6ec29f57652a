package org.margincall.engine.scenario;

import static org.margincall.engine.codec.JsonFields.decimal;
import static org.margincall.engine.codec.JsonFields.id;
import static org.margincall.engine.codec.JsonFields.instant;
import static org.margincall.engine.codec.JsonFields.object;
import static org.margincall.engine.codec.JsonFields.onlyFields;
import static org.margincall.engine.codec.JsonFields.optionalArray;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.codec.JsonFields;
import org.margincall.engine.codec.JsonFields.Range;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.PendingDeposit;
import org.margincall.engine.domain.SubAccount;

/**
 * One line of an accounts snapshot ({@code schema/account-snapshot-v1.schema.json}): a SPEC §7
 * account, the per-account event {@code sequence} (SPEC §5.2) the snapshot reflects, and
 * optionally its deposits in flight (SPEC §3.6). Parsed as strictly as a scenario: every field
 * the format does not define is refused naming its JSON path ({@code $.positions[0].sise}).
 */
public record AccountSnapshot(Account account, long sequence) {
    static final Set<String> FIELDS = Set.of("accountId", "collateral", "positions", "warning", "sequence", "pendingDeposits");
    static final Set<String> PENDING_FIELDS = Set.of("asset", "amount", "reference", "expectedBy");

    /**
     * Parses and validates one line against the venue's catalog (known instruments and assets, an
     * own warning above the venue's marginCall).
     *
     * @throws InvalidInputException naming the JSON path from {@code $} and the value
     */
    public static AccountSnapshot parse(JsonNode line, Catalog catalog) {
        String path = "$";
        object(line, path);
        onlyFields(line, path, FIELDS);
        ObjectNode accountOnly = ((ObjectNode) line).deepCopy();
        accountOnly.remove("sequence");
        accountOnly.remove("pendingDeposits");
        Account a = CatalogJson.account(accountOnly, path, catalog);
        long seq = JsonFields.sequence(line, path, "sequence", 0);
        List<PendingDeposit> pending = new ArrayList<>();
        JsonNode ps = optionalArray(line, path, "pendingDeposits");
        if (ps != null) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < ps.size(); i++) {
                String pp = path + ".pendingDeposits[" + i + "]";
                JsonNode p = object(ps.get(i), pp);
                onlyFields(p, pp, PENDING_FIELDS);
                String asset = id(p, pp, "asset");
                catalog.asset(pp + ".asset", asset);
                PendingDeposit d = new PendingDeposit(asset, decimal(p, pp, "amount", Range.POSITIVE), id(p, pp, "reference"),
                        instant(p, pp, "expectedBy"));
                Integer first = seen.putIfAbsent(d.reference(), i);
                if (first != null) {
                    throw new InvalidInputException(pp + ".reference", d.reference(),
                            "already names pendingDeposits[" + first + "]; one deposit in flight per reference");
                }
                pending.add(d);
            }
        }
        Account account = new Account(a.accountId(), a.collateral(), a.positions(), a.warning(), pending);
        SubAccount.of(catalog, account); // an own warning at or below marginCall, and the like
        return new AccountSnapshot(account, seq);
    }
}
