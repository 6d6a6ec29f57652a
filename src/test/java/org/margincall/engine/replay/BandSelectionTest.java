package org.margincall.engine.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.scenario.Scenario;

/**
 * SPEC §10 in process: selecting the accounts a tick evaluates by their trigger bands
 * ({@link InMemoryReplay#withBands()}) sends exactly the notices of evaluating every exposed
 * (sub-)account, and on a quiet tape evaluates a small fraction of them.
 */
class BandSelectionTest {

    static List<String> goldenScenarios() {
        return GoldenScenarioReplayTest.scenarios();
    }

    @ParameterizedTest
    @MethodSource("goldenScenarios")
    void goldenScenariosSendTheSameNoticesWithBands(String file) {
        Scenario scenario = Scenario.read(Path.of(file));
        InMemoryReplay full = new InMemoryReplay(scenario);
        List<Notification> expected = full.run(scenario.events());
        InMemoryReplay banded = new InMemoryReplay(scenario).withBands();
        List<Notification> got = banded.run(scenario.events());
        System.out.printf("%s: %d notices; evaluations full %d, bands %d (%.1f %%); price-tick evaluations full %d,"
                        + " bands %d (%.1f %%)%n", Path.of(file).getFileName(), expected.size(), full.evaluations(),
                banded.evaluations(), 100.0 * banded.evaluations() / full.evaluations(), full.priceEvaluations(),
                banded.priceEvaluations(), 100.0 * banded.priceEvaluations() / full.priceEvaluations());
        assertThat(expected).isNotEmpty();
        assertThat(got).containsExactlyElementsOf(expected);
    }

    /**
     * {@code scenarios/quiet-venue.json}: 400 accounts, three instruments ticking once a second for
     * an hour. With bands at most 10 % of the (sub-)account evaluations of re-evaluating every
     * exposed holder, and the same notices. {@code -Dquiet.venue=FILE} runs another tape of the
     * same kind (e.g. {@code scenarios/quiet-venue-2000.json}).
     */
    @Test
    void quietVenueEvaluatesAtMostATenthWithTheSameNotices() {
        Path file = Path.of(System.getProperty("quiet.venue", "scenarios/quiet-venue.json"));
        assertThat(file).isRegularFile();
        Scenario scenario = Scenario.read(file);
        long t0 = System.nanoTime();
        InMemoryReplay full = new InMemoryReplay(scenario);
        List<Notification> expected = full.run(scenario.events());
        long t1 = System.nanoTime();
        InMemoryReplay banded = new InMemoryReplay(scenario).withBands();
        List<Notification> got = banded.run(scenario.events());
        long t2 = System.nanoTime();
        double fraction = (double) banded.evaluations() / full.evaluations();
        System.out.printf("%s (%d accounts, %d events, %d notices): (sub-)account evaluations full %d, bands %d"
                        + " (%.2f %%); accounts selected by ticks full %d, bands %d (%.2f %%); replay %.1f s full,"
                        + " %.1f s bands%n", file.getFileName(), scenario.accounts().size(), scenario.events().size(),
                expected.size(), full.evaluations(), banded.evaluations(), 100 * fraction,
                full.priceAccountsSelected(), banded.priceAccountsSelected(),
                100.0 * banded.priceAccountsSelected() / full.priceAccountsSelected(), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertThat(got).containsExactlyElementsOf(expected);
        assertThat(fraction).as("evaluations with bands / evaluations of every exposed holder").isLessThanOrEqualTo(0.10);
    }
}
