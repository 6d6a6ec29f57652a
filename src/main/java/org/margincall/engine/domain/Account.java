package org.margincall.engine.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trader's margin account at one venue (SPEC §1): collateral balances by asset (amounts in the
 * asset's own units, possibly negative) and at most one net position per instrument.
 *
 * @param warning the account's own warning threshold (SPEC §3.1), or null for the venue's
 */
public record Account(String accountId, Map<String, BigDecimal> collateral, List<Position> positions, BigDecimal warning) {
    public Account {
        if (accountId == null || accountId.isBlank()) {
            throw new InvalidInputException("accountId", accountId, "is required");
        }
        if (accountId.contains(":")) {
            throw new InvalidInputException("accountId", accountId, "must not contain ':' (reserved for isolated sub-accounts)");
        }
        collateral = Collections.unmodifiableMap(new LinkedHashMap<>(collateral == null ? Map.of() : collateral));
        positions = List.copyOf(positions == null ? List.of() : positions);
        Set<String> seen = new HashSet<>();
        for (Position p : positions) {
            if (!seen.add(p.instrument())) {
                throw new InvalidInputException("accounts[" + accountId + "].positions[" + p.instrument() + "]",
                        p.instrument(), "appears twice; an account holds one net position per instrument");
            }
        }
        collateral.forEach((asset, amount) -> Decimals.requirePresent(
                "accounts[" + accountId + "].collateral." + asset, amount));
    }

    public Position position(String instrument) {
        for (Position p : positions) {
            if (p.instrument().equals(instrument)) {
                return p;
            }
        }
        return null;
    }

    public Account withCollateral(String asset, BigDecimal amount) {
        Map<String, BigDecimal> c = new LinkedHashMap<>(collateral);
        c.put(asset, amount);
        return new Account(accountId, c, positions, warning);
    }

    /** Replaces (or removes, when {@code replacement} is null) the position in an instrument. */
    public Account withPosition(String instrument, Position replacement) {
        List<Position> ps = new ArrayList<>();
        boolean replaced = false;
        for (Position p : positions) {
            if (p.instrument().equals(instrument)) {
                replaced = true;
                if (replacement != null) {
                    ps.add(replacement);
                }
            } else {
                ps.add(p);
            }
        }
        if (!replaced && replacement != null) {
            ps.add(replacement);
        }
        return new Account(accountId, collateral, ps, warning);
    }
}
