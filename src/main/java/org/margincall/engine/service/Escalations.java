package org.margincall.engine.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Optional;
import org.margincall.engine.domain.AccountTransition;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.MarginService.RecheckOutcome;
import org.margincall.engine.service.TransitionCommitter.Committed;
import org.margincall.engine.service.TransitionCommitter.Plan;
import org.margincall.engine.service.port.AccountItems;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.service.port.VenueRepository;

/** The escalation's clock step (SPEC §3.4, §3.6): a re-check at the step's instant. */
@ApplicationScoped
public class Escalations {
    private final VenueRepository venues;
    private final AccountItems accounts;
    private final Decisions decisions;

    public Escalations(VenueRepository venues, AccountItems accounts, Decisions decisions) {
        this.venues = venues;
        this.accounts = accounts;
        this.decisions = decisions;
    }

    /**
     * The escalation's clock step for one call at {@code at} (the step's deadline, so scenario
     * time decides, not the wall clock): a fresh evaluation, then the deadline notice unless the
     * call was cured, superseded or already handed off.
     */
    public RecheckOutcome recheck(String venueId, String accountId, String subAccountId, String callId,
                                  EscalationStep step, Instant at) {
        VenueSnapshot snap = venues.load(venueId);
        Optional<StoredAccount> a = accounts.get(venueId, accountId);
        if (a.isEmpty()) {
            return new RecheckOutcome(false, null, 0, null, null);
        }
        Trigger trigger = Trigger.clock(callId, step.name(), at);
        AccountTransition.Rule rule = new AccountTransition.Recheck(callId, step, at);
        Committed c = decisions.decideOne(venueId, snap, a.get(), current ->
                Optional.of(Plan.evaluate(current.account(), sub -> sub.id().equals(subAccountId), rule, trigger)));
        AccountTransition.Result r = c.result();
        return new RecheckOutcome(r.continueEscalation(), r.recheckLevel(), c.notifications(), r.waitUntil(), r.nextStepAt());
    }

}
