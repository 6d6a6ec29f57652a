package org.margincall.engine.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.MarginBook;
import org.margincall.engine.domain.MarginDecider;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.VenueSnapshot;
import org.margincall.engine.service.port.StoredAccount;

/**
 * Which accounts of a scanned page the sweep (SPEC §5.3) must decide on: those with a sub-account
 * whose level (with hysteresis) differs from the stored one, or whose open call owes a reminder.
 * The page is screened in one pass of the kernel over a {@link MarginBook}; on a quiet minute
 * almost every account needs nothing.
 */
final class SweepScreen {
    private SweepScreen() {
    }

    /** @return the accounts of {@code page} to decide, in page order */
    static List<StoredAccount> due(VenueSnapshot snap, List<StoredAccount> page, Instant now) {
        MarginDecider decider = new MarginDecider(snap.catalog().venue());
        List<SubAccount> subs = new ArrayList<>();
        List<StoredAccount> owners = new ArrayList<>();
        for (StoredAccount a : page) {
            for (SubAccount sub : SubAccount.of(snap.catalog(), a.account())) {
                if (sub.markable(snap.marks())) {
                    subs.add(sub);
                    owners.add(a);
                }
            }
        }
        Level[] stored = new Level[subs.size()];
        for (int i = 0; i < stored.length; i++) {
            stored[i] = owners.get(i).state(subs.get(i).id()).level();
        }
        Level[] current = new Level[subs.size()];
        new MarginBook(subs).levels(snap.marks(), stored, current);
        List<StoredAccount> due = new ArrayList<>();
        for (int i = 0; i < stored.length; i++) {
            StoredAccount owner = owners.get(i);
            boolean listed = !due.isEmpty() && due.get(due.size() - 1) == owner; // an account's subs are adjacent
            if (!listed && (current[i] != stored[i] || decider.reminderDue(owner.state(subs.get(i).id()), now))) {
                due.add(owner);
            }
        }
        return due;
    }
}
