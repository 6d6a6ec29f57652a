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
 * @param pendingDeposits deposits in flight (SPEC §3.6), at most one per reference
 */
public record Account(String accountId, Map<String, BigDecimal> collateral, List<Position> positions, BigDecimal warning,
                      List<PendingDeposit> pendingDeposits) {
    /**
     * Positions one account may hold (docs/data-model.md): keeps an account item, its margin states
     * and its pending notification bodies within DynamoDB's 400 KB item limit.
     */
    public static final int MAX_POSITIONS = 1000;
    /** Deposits in flight one account may have at once (SPEC §3.6). */
    public static final int MAX_PENDING_DEPOSITS = 100;

    /** An account with no deposit in flight. */
    public Account(String accountId, Map<String, BigDecimal> collateral, List<Position> positions, BigDecimal warning) {
        this(accountId, collateral, positions, warning, List.of());
    }

    public Account {
        if (accountId == null || accountId.isBlank()) {
            throw new InvalidInputException("accountId", accountId, "is required");
        }
        if (accountId.contains(":")) {
            throw new InvalidInputException("accountId", accountId, "must not contain ':' (reserved for isolated sub-accounts)");
        }
        collateral = Collections.unmodifiableMap(new LinkedHashMap<>(collateral == null ? Map.of() : collateral));
        positions = List.copyOf(positions == null ? List.of() : positions);
        pendingDeposits = List.copyOf(pendingDeposits == null ? List.of() : pendingDeposits);
        if (positions.size() > MAX_POSITIONS) {
            throw new InvalidInputException("accounts[" + accountId + "].positions", positions.size() + " positions",
                    "exceeds the maximum of " + MAX_POSITIONS + " positions per account");
        }
        if (pendingDeposits.size() > MAX_PENDING_DEPOSITS) {
            throw new InvalidInputException("accounts[" + accountId + "].pendingDeposits", pendingDeposits.size()
                    + " deposits in flight", "exceeds the maximum of " + MAX_PENDING_DEPOSITS + " per account");
        }
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
        return new Account(accountId, c, positions, warning, pendingDeposits);
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
        return new Account(accountId, collateral, ps, warning, pendingDeposits);
    }

    /**
     * Records a deposit in flight (SPEC §3.6): replaces one with the same reference; an amount of
     * zero cancels it.
     */
    public Account withPendingDeposit(String asset, BigDecimal amount, String reference, java.time.Instant expectedBy) {
        List<PendingDeposit> next = new ArrayList<>();
        for (PendingDeposit d : pendingDeposits) {
            if (!d.reference().equals(reference)) {
                next.add(d);
            }
        }
        if (amount.signum() != 0) {
            next.add(new PendingDeposit(asset, amount, reference, expectedBy));
        }
        return new Account(accountId, collateral, positions, warning, next);
    }

    /** Drops the pending deposits a credit settles (SPEC §3.6 {@code settles}); unknown references are ignored. */
    public Account settling(java.util.Collection<String> references) {
        if (references.isEmpty()) {
            return this;
        }
        List<PendingDeposit> next = new ArrayList<>();
        for (PendingDeposit d : pendingDeposits) {
            if (!references.contains(d.reference())) {
                next.add(d);
            }
        }
        return new Account(accountId, collateral, positions, warning, next);
    }

    /** Adds {@code amount} of {@code asset} (negative: a withdrawal), SPEC §7 DEPOSIT. */
    public Account deposit(String asset, BigDecimal amount) {
        return withCollateral(asset, collateral.getOrDefault(asset, BigDecimal.ZERO).add(amount));
    }

    /**
     * Reduces the position in {@code instrument} by the signed {@code delta} (opposite in sign to
     * the position, at most its size), closed at {@code mark}: the realised PnL is credited to the
     * position's margin, USDT for a cross position, the isolated margin for an isolated one, so
     * equity is unchanged (SPEC §7 REDUCE).
     */
    public Account reduce(String instrument, BigDecimal delta, BigDecimal mark) {
        String field = "accounts[" + accountId + "].positions[" + instrument + "]";
        Position p = position(instrument);
        if (p == null) {
            throw new InvalidInputException(field, instrument, "has no position to reduce");
        }
        if (delta.signum() == 0 || delta.signum() == p.size().signum() || delta.abs().compareTo(p.size().abs()) > 0) {
            throw new InvalidInputException(field + ".reduce", delta.toPlainString(),
                    "must be opposite in sign to the size " + p.size().toPlainString() + " and no larger");
        }
        BigDecimal realised = delta.negate().multiply(mark.subtract(p.entryPrice()));
        BigDecimal remaining = p.size().add(delta);
        if (p.isolated()) {
            Position next = remaining.signum() == 0 ? null
                    : p.withSize(remaining).withIsolatedMargin(p.isolatedMargin().add(realised));
            Account a = withPosition(instrument, next);
            // A fully closed isolated position releases its margin to the cross account.
            return next == null ? a.deposit("USDT", p.isolatedMargin().add(realised)) : a;
        }
        return withPosition(instrument, remaining.signum() == 0 ? null : p.withSize(remaining))
                .deposit("USDT", realised);
    }
}
