package org.margincall.engine.scenario;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.domain.Position;

/**
 * Scale mode of the replay: adds {@code n} generated accounts to a scenario, each long or short
 * one of its instruments at its first mark with leverage spread so that a crash of the
 * scenario's size walks many of them through the levels. Deterministic for a seed.
 */
public final class ScaleGenerator {
    private ScaleGenerator() {
    }

    public static Scenario withAccounts(Scenario base, int n, long seed) {
        if (n < 0) {
            throw new org.margincall.engine.domain.InvalidInputException("--accounts", n, "must not be negative");
        }
        List<Instrument> instruments = new ArrayList<>(base.catalog().instruments());
        List<BigDecimal> firstMark = new ArrayList<>();
        for (Instrument i : instruments) {
            BigDecimal mark = base.events().stream().filter(e -> e instanceof ScenarioEvent.Price p && p.instrument().equals(i.symbol()))
                    .map(e -> ((ScenarioEvent.Price) e).markPrice()).findFirst().orElse(null);
            firstMark.add(mark);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Account> accounts = new ArrayList<>(base.accounts());
        for (int a = 0; a < n; a++) {
            int k = rnd.nextInt(instruments.size());
            BigDecimal mark = firstMark.get(k);
            if (mark == null) {
                continue; // an instrument never priced cannot be evaluated
            }
            double notional = 5_000 + rnd.nextDouble() * 60_000;
            boolean longSide = rnd.nextInt(4) != 0;
            BigDecimal size = BigDecimal.valueOf(notional).divide(mark, 3, RoundingMode.HALF_UP);
            if (!longSide) {
                size = size.negate();
            }
            // Margin between 1 % and 12 % of notional: the thin ones meet the crash early.
            BigDecimal usdt = BigDecimal.valueOf(notional * (0.01 + rnd.nextDouble() * 0.11)).setScale(2, RoundingMode.HALF_UP);
            accounts.add(new Account(String.format("gen-%06d", a), Map.of("USDT", usdt),
                    List.of(new Position(instruments.get(k).symbol(), size, mark, null)), null));
        }
        return new Scenario(base.catalog(), List.copyOf(accounts), base.events());
    }
}
