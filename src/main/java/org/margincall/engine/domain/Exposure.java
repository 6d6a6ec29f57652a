package org.margincall.engine.domain;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which instruments an account is exposed to (SPEC §3.3): those it holds a position in and those
 * that price its collateral (SPEC §2.3, e.g. {@code BTC} collateral → {@code BTC-USD}). A price event
 * on any of them re-evaluates the account.
 */
public final class Exposure {
    private Exposure() {
    }

    /**
     * @return instrument symbols in a stable order (positions first, then collateral price instruments)
     * @throws InvalidInputException when the account holds a collateral asset the catalog does not know
     */
    public static Set<String> instruments(Account account, Catalog catalog) {
        Set<String> out = new LinkedHashSet<>();
        for (Position p : account.positions()) {
            out.add(p.instrument());
        }
        for (String asset : account.collateral().keySet()) {
            String priced = catalog.asset("accounts[" + account.accountId() + "].collateral." + asset, asset).priceInstrument();
            if (priced != null) {
                out.add(priced);
            }
        }
        return out;
    }
}
