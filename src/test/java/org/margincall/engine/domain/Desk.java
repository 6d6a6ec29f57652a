package org.margincall.engine.domain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.codec.CatalogJson;

/**
 * A one-account stand-in for a store, for the SPEC §3.5/§3.6 rule tests: it keeps a venue snapshot,
 * the account and the stored margin states, and drives the engine's one transition
 * ({@link AccountTransition#apply}) exactly as the service and the in-process replay do: a price
 * event is accepted with {@link PriceArrival}, then every exposed sub-account is evaluated; an
 * account event evaluates every sub-account; a clock step re-checks one sub-account. Clock steps
 * are driven by hand (the test says when), so their {@code waitUntil}/{@code nextStepAt} are
 * observable.
 */
final class Desk {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    final Catalog catalog;
    final VenueSnapshot snap;
    Account account;
    final Map<String, MarginState> states = new HashMap<>();
    private long sequence;
    private int accountEvents;

    Desk(Catalog catalog, Account account) {
        this.catalog = catalog;
        this.snap = new VenueSnapshot(catalog, new Marks(catalog), new HashMap<>());
        this.account = account;
    }

    /** A catalog from a small SPEC §7 document (venue, instruments, collateralAssets). */
    static Catalog catalog(String json) {
        try {
            return CatalogJson.catalog(JSON.readTree(json), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code T0 + seconds}. */
    static Instant t(long seconds) {
        return T0.plusSeconds(seconds);
    }

    /** {@code T0 + millis} milliseconds. */
    static Instant ms(long millis) {
        return T0.plusMillis(millis);
    }

    static BigDecimal d(String s) {
        return new BigDecimal(s);
    }

    /** What a price event would store (not stored): the suspect decision and the variance. */
    AcceptedMark accept(String instrument, String mark, String index, Instant at) {
        return PriceArrival.accept(snap, instrument, d(mark), index == null ? null : d(index),
                PriceStamp.of(at, sequence + 1), "test");
    }

    /** Stores a mark without evaluating anyone (as for an instrument the account does not use); returns it. */
    AcceptedMark store(String instrument, String mark, String index, Instant at) {
        AcceptedMark m = accept(instrument, mark, index, at);
        assertThat(m).as("accepted mark").isNotNull();
        sequence++;
        PriceArrival.apply(snap, m);
        return m;
    }

    /** A price event without index: stored, then every sub-account exposed to the instrument evaluated. */
    AccountTransition.Result price(String instrument, String mark, Instant at) {
        return price(instrument, mark, null, at);
    }

    /** A price event: stored, then every sub-account exposed to the instrument evaluated. */
    AccountTransition.Result price(String instrument, String mark, String index, Instant at) {
        AcceptedMark m = store(instrument, mark, index, at);
        int slot = catalog.slot("instrument", instrument);
        return commit(new AccountTransition.Input(snap, account, states::get, sub -> sub.exposedTo(slot),
                new AccountTransition.Evaluate(at), Trigger.price(instrument, m.price(), at, m.stamp().sequence()), false));
    }

    /** A venue account event (the account as it now stands) at {@code at}: every sub-account evaluated. */
    AccountTransition.Result event(Account next, Instant at) {
        account = next;
        return commit(new AccountTransition.Input(snap, account, states::get, sub -> true,
                new AccountTransition.Evaluate(at), Trigger.account("ev-" + ++accountEvents, at), false));
    }

    /** The escalation's clock step {@code step} of the open call of {@code subId}, run at {@code at}. */
    AccountTransition.Result clock(String subId, EscalationStep step, Instant at) {
        return clock(subId, state(subId).callId(), step, at);
    }

    /** The escalation's clock step {@code step} of call {@code callId}, run at {@code at}. */
    AccountTransition.Result clock(String subId, String callId, EscalationStep step, Instant at) {
        return commit(new AccountTransition.Input(snap, account, states::get, sub -> sub.id().equals(subId),
                new AccountTransition.Recheck(callId, step, at), Trigger.clock(callId, step.name(), at), false));
    }

    MarginState state(String subId) {
        return states.getOrDefault(subId, MarginState.INITIAL);
    }

    private AccountTransition.Result commit(AccountTransition.Input in) {
        AccountTransition.Result r = AccountTransition.apply(in);
        states.putAll(r.changed());
        return r;
    }

    /** The one notification of a result. */
    static Notification only(AccountTransition.Result r) {
        assertThat(r.notifications()).as("notifications").hasSize(1);
        return r.notifications().get(0);
    }

    /** "TYPE REASON LEVEL" of each notification, for compact assertions. */
    static List<String> summary(AccountTransition.Result r) {
        return r.notifications().stream().map(n -> n.type() + " " + n.reason() + " " + n.level()).toList();
    }
}
