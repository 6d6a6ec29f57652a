package org.margincall.engine.service;

import java.util.List;

/**
 * An event's work that failed for some accounts after the others were done: thrown at the end of
 * the invocation so Lambda and EventBridge retry it; the retry is idempotent (SPEC §3.3 ids,
 * versioned commits) and finishes exactly what is missing.
 */
public class IncompleteWorkException extends RuntimeException {
    private final List<String> accountIds;

    /**
     * @param what the event, e.g. "price event BTC-USD@2026-01-01T00:00:00.000Z#3"
     * @param accountIds the accounts left undone
     * @param first the first failure, kept as the cause
     */
    public IncompleteWorkException(String what, List<String> accountIds, RuntimeException first) {
        super(what + " left " + accountIds.size() + " account(s) undone (" + String.join(", ",
                accountIds.subList(0, Math.min(10, accountIds.size()))) + (accountIds.size() > 10 ? ", …" : "")
                + "); a retry finishes them: " + first.getMessage(), first);
        this.accountIds = List.copyOf(accountIds);
    }

    /** The accounts left undone. */
    public List<String> accountIds() {
        return accountIds;
    }
}
