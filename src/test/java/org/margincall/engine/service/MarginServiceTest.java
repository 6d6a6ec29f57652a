package org.margincall.engine.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.EscalationStep;
import org.margincall.engine.domain.Level;
import org.margincall.engine.domain.Position;
import org.margincall.engine.domain.Trigger;
import org.margincall.engine.service.port.Metrics;
import org.margincall.engine.service.port.StoredAccount;

/**
 * The service over in-memory ports (no Quarkus, no AWS): the paths only a race or a failure
 * reaches — version conflicts, lost updates, outbox claims and their release and takeover,
 * escalation starts left for the sweep. Expected figures are by hand: an account long 1.25 from
 * 41000 with USDT {@code C} has, at a mark of 40000, {@code Q = C − 1250}, {@code MM = 200}
 * (notional 50000 on the 0.5 % bracket with a 50 maintenance amount), so {@code R = (C − 1250) / 200}.
 */
class MarginServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VENUE = "demo";
    private static final String BTC = "BTC-USD";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private InMemoryPorts ports;
    private MarginService service;

    @BeforeEach
    void venue() throws Exception {
        ports = new InMemoryPorts();
        ports.clock.set(T0.plusSeconds(1));
        service = ports.service;
        JsonNode root = JSON.readTree("""
                {"venue":{"id":"demo","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                          "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":300},
                 "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":"50000","mmr":"0.004"},
                                                             {"floor":"50000","cap":null,"mmr":"0.005"}]}],
                 "collateralAssets":[{"asset":"USDT","haircut":"0"}]}""");
        ports.venues.catalogs.put(VENUE, CatalogJson.catalog(root, VENUE));
    }

    private Account account(String id, String usdt) {
        Account a = new Account(id, Map.of("USDT", new BigDecimal(usdt)),
                List.of(new Position(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null)), null);
        service.createAccount(VENUE, a);
        return a;
    }

    private MarginService.Outcome price(String mark, Instant at, long seq) {
        return service.onPrice(VENUE, new MarginService.PriceUpdate(BTC, new BigDecimal(mark), at, seq, "test"));
    }

    private List<String> published(String field) throws Exception {
        List<String> out = new ArrayList<>();
        for (String b : ports.sns.bodies) {
            out.add(JSON.readTree(b).get(field).asText());
        }
        return out;
    }

    @Test
    void aPriceEventNotifiesEveryExposedHolderOnceWithHandComputedFigures() throws Exception {
        account("w", "1510");  // R = 260 / 200 = 1.30 → WARNING
        account("c", "1470");  // R = 220 / 200 = 1.10 → MARGIN_CALL
        account("h", "1700");  // R = 450 / 200 = 2.25 → HEALTHY, nothing to send
        MarginService.Outcome o = price("40000", T0, 1);
        assertThat(o.status()).isEqualTo(MarginService.Outcome.Status.ACCEPTED);
        assertThat(o.accountsEvaluated()).isEqualTo(3);
        assertThat(o.notifications()).isEqualTo(2);
        assertThat(published("type")).containsExactly("MARGIN_CALL", "MARGIN_WARNING"); // account order c, h, w
        assertThat(published("equity")).containsExactly("220.00", "260.00");
        assertThat(published("minimumDeposit")).containsExactly("24.80", "0.00"); // 1.224·200 − Q
        assertThat(ports.scheduler.executions).hasSize(1);
        assertThat(ports.accounts.withPendingWork(VENUE)).as("everything delivered").isEmpty();

        assertThat(price("40000", T0, 1).status()).as("the same event again").isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(price("39000", T0.minusSeconds(1), 9).status()).as("older").isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(ports.sns.acceptedIds).hasSize(2);
    }

    @Test
    void aWriterThatLosesTheVersionRaceRedecidesAndSendsNothingTwice() throws Exception {
        Account a = account("race", "1470");
        ports.venues.storeIfNewer(VENUE, BTC, new BigDecimal("40000"), org.margincall.engine.domain.PriceStamp.of(T0, 1), "t");
        AtomicBoolean once = new AtomicBoolean();
        // Before our first commit lands, another invocation evaluates the same account and commits.
        ports.accounts.beforeCommit = c -> {
            if (once.compareAndSet(false, true)) {
                service.evaluateAccount(VENUE, a.accountId(), Trigger.account("other", T0), T0);
            }
        };
        MarginService.Outcome mine = service.evaluateAccount(VENUE, a.accountId(), Trigger.account("other", T0), T0);
        assertThat(ports.accounts.commitsRefused.get()).as("our first attempt lost").isEqualTo(1);
        assertThat(ports.metrics.total(Metrics.VERSION_CONFLICTS)).isEqualTo(1);
        assertThat(mine.notifications()).as("the re-decision finds the call already opened").isZero();
        assertThat(published("type")).containsExactly("MARGIN_CALL");
        assertThat(new HashSet<>(ports.sns.acceptedIds)).hasSize(ports.sns.acceptedIds.size());
        assertThat(ports.accounts.get(VENUE, a.accountId()).orElseThrow().state(a.accountId()).level())
                .isEqualTo(Level.MARGIN_CALL);
    }

    @Test
    void anAccountEventRacingAPriceEvaluationKeepsBothUpdates() throws Exception {
        Account a = account("lost-update", "1470");
        ports.venues.storeIfNewer(VENUE, BTC, new BigDecimal("40000"), org.margincall.engine.domain.PriceStamp.of(T0, 1), "t");
        AtomicBoolean once = new AtomicBoolean();
        ports.accounts.beforeCommit = c -> {
            if (c.changed() != null && once.compareAndSet(false, true)) {
                // a price evaluation commits MARGIN_CALL between the deposit's read and its commit
                service.evaluateAccount(VENUE, a.accountId(), Trigger.account("tick", T0), T0);
            }
        };
        MarginService.Outcome o = service.onAccountEvent(VENUE, new MarginService.AccountChange("dep-1", a.accountId(), 1,
                T0.plusSeconds(5), Map.of("USDT", new BigDecimal("1700")), null));
        StoredAccount after = ports.accounts.get(VENUE, a.accountId()).orElseThrow();
        assertThat(after.account().collateral().get("USDT")).isEqualByComparingTo("1700");
        assertThat(after.lastEventSequence()).isEqualTo(1);
        // 1700 − 1250 = 450 → R = 2.25: the deposit cures the call the racing writer opened.
        assertThat(after.state(a.accountId()).level()).isEqualTo(Level.HEALTHY);
        assertThat(published("type")).containsExactly("MARGIN_CALL", "MARGIN_CALL_CURED");
        assertThat(o.notifications()).isEqualTo(1);
        assertThat(service.onAccountEvent(VENUE, new MarginService.AccountChange("dep-1", a.accountId(), 1,
                T0.plusSeconds(5), Map.of("USDT", new BigDecimal("1700")), null)).status())
                .isEqualTo(MarginService.Outcome.Status.DUPLICATE);
    }

    @Test
    void aFailedPublishReleasesItsClaimAndTheSweepDeliversItOnce() throws Exception {
        Account a = account("outage", "1470");
        ports.sns.failing = true;
        price("40000", T0, 1);
        StoredAccount owed = ports.accounts.get(VENUE, a.accountId()).orElseThrow();
        assertThat(owed.outbox()).hasSize(1);
        assertThat(owed.outbox().get(0).claimedAtMillis()).as("released for the next sweep").isZero();
        assertThat(ports.metrics.total(Metrics.PUBLISH_FAILURES)).isEqualTo(1);

        ports.sns.failing = false;
        assertThat(service.flushPending(VENUE)).isEqualTo(1);
        assertThat(service.flushPending(VENUE)).as("nothing left").isZero();
        assertThat(published("type")).containsExactly("MARGIN_CALL");
        assertThat(ports.accounts.get(VENUE, a.accountId()).orElseThrow().outbox()).isEmpty();
    }

    @Test
    void aLiveClaimIsLeftAloneAndAStaleOneIsTakenOver() throws Exception {
        Account a = account("claims", "1470");
        // The committing writer dies after its commit: its claim stays, nothing was published.
        ports.sns.failing = true;
        ports.accounts.beforeCommit = null;
        price("40000", T0, 1);
        String id = ports.accounts.get(VENUE, a.accountId()).orElseThrow().outbox().get(0).id();
        assertThat(ports.claims.claim(VENUE, a.accountId(), id, "crashed-writer", ports.clock.millis(), ports.clock.millis()))
                .as("re-claim as the writer that then crashed").isTrue();
        ports.sns.failing = false;

        assertThat(service.flushPending(VENUE)).as("claim 10 s old: live").isZero();
        ports.clock.set(ports.clock.instant().plusSeconds(10));
        assertThat(service.flushPending(VENUE)).as("still live").isZero();
        ports.clock.set(ports.clock.instant().plusSeconds(ports.config.outboxClaimSeconds()));
        assertThat(service.flushPending(VENUE)).as("stale: taken over").isEqualTo(1);
        assertThat(ports.sns.acceptedIds).containsExactly(id);
    }

    @Test
    void anEscalationThatCouldNotStartIsStartedByTheSweepAndTheClockStepsDecide() {
        Account a = account("clock", "1470");
        ports.scheduler.failing = true;
        price("40000", T0, 1);
        assertThat(ports.scheduler.executions).isEmpty();
        assertThat(ports.accounts.get(VENUE, a.accountId()).orElseThrow().escalations()).hasSize(1);
        assertThat(ports.metrics.total(Metrics.ESCALATION_START_FAILURES)).isEqualTo(1);

        ports.scheduler.failing = false;
        service.flushPending(VENUE);
        assertThat(ports.scheduler.executions).hasSize(1);
        assertThat(ports.accounts.get(VENUE, a.accountId()).orElseThrow().escalations()).isEmpty();

        String callId = ports.accounts.get(VENUE, a.accountId()).orElseThrow().state(a.accountId()).callId();
        MarginService.RecheckOutcome grace = service.recheck(VENUE, a.accountId(), a.accountId(), callId,
                EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
        assertThat(grace.continueEscalation()).isTrue();
        assertThat(grace.level()).isEqualTo(Level.MARGIN_CALL);
        MarginService.RecheckOutcome handoff = service.recheck(VENUE, a.accountId(), a.accountId(), callId,
                EscalationStep.FINAL_NOTICE_EXPIRED, T0.plusSeconds(900));
        assertThat(handoff.continueEscalation()).isFalse();
        assertThat(ports.sns.acceptedIds).hasSize(3);
        assertThat(ports.liquidations.acceptedIds).hasSize(1);
        assertThat(ports.sns.bodies.stream().map(b -> b.contains("\"reason\":\"DEADLINE\"")).toList())
                .containsExactly(false, true, true);
    }

    @Test
    void theSweepDecidesOnlyWhatMovedAndAlertsAStaleFeedOnce() throws Exception {
        account("s1", "1470");
        account("s2", "1700");
        ports.venues.storeIfNewer(VENUE, BTC, new BigDecimal("40000"), org.margincall.engine.domain.PriceStamp.of(T0, 1), "t");
        MarginService.SweepOutcome first = service.sweep(VENUE, T0.plusSeconds(30));
        assertThat(first.accountsScanned()).isEqualTo(2);
        assertThat(first.transitions()).as("only s1 moved (the price event was lost)").isEqualTo(1);
        assertThat(published("type")).containsExactly("MARGIN_CALL");
        assertThat(ports.metrics.total(Metrics.SWEEP_CAUGHT_NOTICES)).as("a call the lost tick owed").isEqualTo(1);
        assertThat(first.stalePricesReported()).isEmpty();
        MarginService.SweepOutcome late = service.sweep(VENUE, T0.plusSeconds(600));
        assertThat(late.stalePricesReported()).containsExactly(BTC);
        assertThat(service.sweep(VENUE, T0.plusSeconds(660)).stalePricesReported()).isEmpty();
        assertThat(ports.alerts.sent).hasSize(1);
        assertThat(published("type")).as("a reminder 300 s after the call, once").containsExactly("MARGIN_CALL", "REMINDER");
        assertThat(ports.metrics.total(Metrics.SWEEP_CAUGHT_NOTICES)).as("the reminder is the sweep's own").isEqualTo(1);
        assertThat(ports.metrics.durations.get(Metrics.PRICE_TO_PUBLISH_LATENCY)).as("no price triggered them").isNull();
    }

    @Test
    void heldHandOffsWaitForReleaseOnTheRatioAndTheClockPathsWithAlertsOnSetAndRelease() throws Exception {
        Account a = account("held", "1430");   // R = 180 / 200 = 0.90 at 40000: LIQUIDATION unless held
        Account b = account("clocked", "1470"); // R = 1.10: a call whose clock runs out while held
        assertThat(ports.operations.holdHandoffs(VENUE, true, "oracle incident")).isTrue();
        assertThat(ports.operations.holdHandoffs(VENUE, true, "again")).as("already held: no second alert").isFalse();
        price("40000", T0, 1);
        assertThat(published("type")).containsExactly("MARGIN_CALL", "FINAL_NOTICE"); // clocked, held
        assertThat(ports.liquidations.acceptedIds).isEmpty();
        assertThat(ports.metrics.total(Metrics.HELD_HANDOFFS)).isEqualTo(1);

        String callId = ports.accounts.get(VENUE, b.accountId()).orElseThrow().state(b.accountId()).callId();
        service.recheck(VENUE, b.accountId(), b.accountId(), callId, EscalationStep.GRACE_EXPIRED, T0.plusSeconds(600));
        MarginService.RecheckOutcome waiting = service.recheck(VENUE, b.accountId(), b.accountId(), callId,
                EscalationStep.FINAL_NOTICE_EXPIRED, T0.plusSeconds(900));
        assertThat(waiting.continueEscalation()).isTrue();
        assertThat(waiting.waitUntil()).as("asks again a minute later").isEqualTo(T0.plusSeconds(960));
        assertThat(published("type")).containsExactly("MARGIN_CALL", "FINAL_NOTICE", "FINAL_NOTICE");

        assertThat(ports.operations.holdHandoffs(VENUE, false, "oracle fixed")).isTrue();
        assertThat(ports.alerts.sent).hasSize(2);
        assertThat(ports.alerts.sent.get(0)).startsWith("HANDOFFS_HELD ").contains("oracle incident");
        assertThat(ports.alerts.sent.get(1)).startsWith("HANDOFFS_RELEASED ");
        MarginService.RecheckOutcome released = service.recheck(VENUE, b.accountId(), b.accountId(), callId,
                EscalationStep.FINAL_NOTICE_EXPIRED, T0.plusSeconds(960));
        assertThat(released.continueEscalation()).isFalse();
        service.sweep(VENUE, T0.plusSeconds(961));
        List<String> types = published("type");
        assertThat(types.subList(3, types.size())).containsExactlyInAnyOrder("LIQUIDATION_HANDOFF", "LIQUIDATION_HANDOFF");
        assertThat(ports.liquidations.acceptedIds).hasSize(2);
        assertThat(ports.metrics.durations.get(Metrics.HELD_HANDOFF_DELAY)).as("held from T0 to the sweep at T0+961 s")
                .containsExactly(961_000.0);
        assertThat(ports.metrics.total(Metrics.SWEEP_CAUGHT_NOTICES)).as("released by operations, not owed by a tick")
                .isZero();
        assertThat(ports.sns.bodies.stream().filter(x -> x.contains("LIQUIDATION_HANDOFF"))
                .map(x -> x.contains("\"reason\":\"DEADLINE\"")).toList()).containsExactlyInAnyOrder(true, false);
    }

    @Test
    void everyPriceTriggeredNoticeRecordsItsPriceToPublishLatencyLateDeliveriesIncluded() throws Exception {
        account("lat", "1470");
        ports.clock.set(T0.plusMillis(1250));
        price("40000", T0.plusMillis(300), 1); // R = 220 / 200 = 1.10 → MARGIN_CALL, accepted at once
        assertThat(ports.metrics.durations.get(Metrics.PRICE_TO_PUBLISH_LATENCY)).as("1250 − 300 ms")
                .containsExactly(950.0);

        // 39990: notional 49987.5 on the 0.4 % bracket, MM = 199.95, Q = 1470 − 1.25·1010 = 207.5,
        // R = 1.038 → CRITICAL; SNS is down, so the FINAL_NOTICE waits in the outbox
        ports.sns.failing = true;
        ports.clock.set(T0.plusSeconds(3));
        price("39990", T0.plusMillis(2500), 2);
        assertThat(ports.metrics.durations.get(Metrics.PRICE_TO_PUBLISH_LATENCY)).as("nothing accepted, nothing timed")
                .hasSize(1);
        ports.sns.failing = false;
        ports.clock.set(T0.plusSeconds(62));
        assertThat(service.flushPending(VENUE)).isEqualTo(1);
        // an account event's notice is not a price's: deposit to 1700, Q = 437.5, R = 2.19 → cured
        ports.clock.set(T0.plusMillis(63_500));
        service.onAccountEvent(VENUE, new MarginService.AccountChange("dep-lat", "lat", 1, T0.plusSeconds(63),
                Map.of("USDT", new BigDecimal("1700")), null));
        assertThat(published("type")).containsExactly("MARGIN_CALL", "FINAL_NOTICE", "MARGIN_CALL_CURED");
        assertThat(ports.metrics.durations.get(Metrics.PRICE_TO_PUBLISH_LATENCY))
                .as("the flushed notice with its whole delay, 62 000 − 2 500 ms; none for the account event")
                .containsExactly(950.0, 59_500.0);
    }

    // ---- defects found by trying to break it (each test failed on the code before its fix) ----

    @Test
    void oneAccountsFailureDoesNotSkipTheOtherHoldersAndARetriedEventFinishesTheWork() throws Exception {
        account("f1", "1470");
        account("f2", "1470");
        AtomicBoolean once = new AtomicBoolean();
        ports.accounts.beforeCommit = c -> {
            if (c.current().account().accountId().equals("f1") && once.compareAndSet(false, true)) {
                throw new IllegalStateException("injected: DynamoDB 500 on f1's commit");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> price("40000", T0, 1))
                .as("the invocation fails so EventBridge retries it").hasMessageContaining("f1");
        assertThat(published("accountId")).as("f2 was not skipped").containsExactly("f2");
        MarginService.Outcome retry = price("40000", T0, 1);
        assertThat(retry.status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(published("accountId")).as("the retry finished f1, sent nothing twice").containsExactly("f2", "f1");
    }

    @Test
    void aHoldingsRowLostAfterTheCommitIsWrittenByTheRetryAndRepairedByTheSweep() throws Exception {
        Account a = new Account("lost-row", Map.of("USDT", new BigDecimal("1470")), List.of(), null);
        service.createAccount(VENUE, a);
        assertThat(ports.holdings.holders(VENUE, BTC)).isEmpty();
        ports.holdings.failPuts = 1;
        // the account opens its first BTC position: a new holdings row is owed
        MarginService.AccountChange open = new MarginService.AccountChange("pos-1", a.accountId(), 1, T0, Map.of(),
                new MarginService.PositionChange(BTC, new BigDecimal("1.25"), new BigDecimal("41000"), null));
        try {
            service.onAccountEvent(VENUE, open);
        } catch (IllegalStateException injected) {
            // the first delivery fails after the commit; EventBridge retries
        }
        assertThat(service.onAccountEvent(VENUE, open).status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(ports.holdings.holders(VENUE, BTC)).as("the retried event finished the work").contains(a.accountId());
        ports.holdings.rows.values().forEach(ids -> ids.remove(a.accountId())); // deleted behind the engine's back
        service.sweep(VENUE, T0.plusSeconds(60));
        assertThat(ports.holdings.holders(VENUE, BTC)).as("the sweep rebuilt it").contains(a.accountId());
        ports.clock.set(T0.plusSeconds(62));
        price("40000", T0.plusSeconds(61), 1);
        assertThat(published("type")).containsExactly("MARGIN_CALL");
    }

    @Test
    void aDecisionIsNeverCommittedOnMarksOlderThanTheAccountAlreadyReflects() throws Exception {
        Account a = account("stale", "1600");   // at 40000: R = 350 / 200 = 1.75, HEALTHY
        price("40000", T0, 1);
        AtomicBoolean once = new AtomicBoolean();
        ports.accounts.beforeCommit = c -> {
            if (c.changed() != null && once.compareAndSet(false, true)) {
                // a tick lands between the deposit's read and its commit: at 39900, with 1600:
                // U = 1.25·(39900 − 41000) = −1375, MM = 0.004·49875 = 199.5, R = 225 / 199.5 = 1.128
                price("39900", T0.plusSeconds(2), 2);
            }
        };
        service.onAccountEvent(VENUE, new MarginService.AccountChange("dep", a.accountId(), 1, T0.plusSeconds(3),
                Map.of("USDT", new BigDecimal("1650")), null));
        // at 39900 with 1650: R = 275 / 199.5 = 1.378 ≥ 1.224 → the call is cured to WARNING, not HEALTHY
        // (on the stale 40000 it would read R = 2.0 and send a false all-clear to HEALTHY)
        assertThat(published("type")).containsExactly("MARGIN_CALL", "MARGIN_CALL_CURED");
        assertThat(published("level")).containsExactly("MARGIN_CALL", "WARNING");
        assertThat(ports.accounts.get(VENUE, a.accountId()).orElseThrow().state(a.accountId()).level())
                .isEqualTo(Level.WARNING);
    }

    @Test
    void aTickCrossingMoreThanAChunkFansOutAndARetriedChunkSendsNothingTwice() throws Exception {
        ports.chunks.enabled = true;
        ports.config.chunkSize = 3;
        for (int i = 0; i < 7; i++) {
            account("c" + i, "1470"); // each R = 1.10 at 40000 → MARGIN_CALL
        }
        MarginService.Outcome tick = price("40000", T0, 1);
        assertThat(tick.accountsEvaluated()).as("the first chunk inline").isEqualTo(3);
        assertThat(ports.chunks.queued).extracting(c -> c.accountIds().size()).containsExactly(3, 1);
        assertThat(ports.metrics.total(Metrics.CHUNKS_ENQUEUED)).isEqualTo(2);

        // the worker fails on c4 mid-chunk: the others of the chunk are done, the chunk is redelivered
        org.margincall.engine.service.port.ChunkQueue.Chunk second = ports.chunks.queued.poll();
        AtomicBoolean once = new AtomicBoolean();
        ports.accounts.beforeCommit = c -> {
            if (c.current().account().accountId().equals("c4") && once.compareAndSet(false, true)) {
                throw new IllegalStateException("injected: worker lost c4's commit");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> service.onChunk(second))
                .isInstanceOf(IncompleteWorkException.class).hasMessageContaining("c4");
        service.onChunk(second);  // SQS redelivers it
        service.onChunk(second);  // and once more, for good measure
        service.onChunk(ports.chunks.queued.poll());
        assertThat(published("accountId")).as("every crossed account once")
                .containsExactlyInAnyOrder("c0", "c1", "c2", "c3", "c4", "c5", "c6");
        assertThat(published("type")).containsOnly("MARGIN_CALL");
        assertThat(ports.scheduler.executions).hasSize(7);
    }

    @Test
    void aCommitWhoseAnswerWasLostStillDeliversWhatItCommitted() throws Exception {
        account("lost-answer", "1470");
        AtomicBoolean once = new AtomicBoolean();
        // The commit lands, but its answer is lost and the SDK's retry of the same write fails its
        // condition: the writer sees a "lost race" although the winner was itself.
        ports.accounts.afterCommit = c -> once.compareAndSet(false, true);
        price("40000", T0, 1);
        assertThat(once.get()).isTrue();
        assertThat(published("type")).as("delivered at once, not left for the sweep").containsExactly("MARGIN_CALL");
        assertThat(ports.scheduler.executions).hasSize(1);
        assertThat(ports.accounts.get(VENUE, "lost-answer").orElseThrow().outbox()).isEmpty();
    }

    @Test
    void aPositionWhoseLiquidationPriceRoundsToZeroIsNotifiedOnceTheVolatilityIsKnown() throws Exception {
        // 21 marks make σ known; then a venue opens a short 0.5 from 1e-18 for a new account with no
        // collateral: Q = −0.5·(M − 1e-18) < 0, a hand-off, and L = 0.5e-18 / 0.502 ≈ 1e-18, which is
        // 0.00000000 at 8 decimals. Before the fix building its notice threw (liquidationPrice =
        // 0.00000000: must be positive), so the event failed, as would every later one that notifies it.
        // (Found by HostileHandlerTest's fuzz, seed 9, case 752.)
        for (int i = 0; i <= 20; i++) {
            ports.clock.set(T0.plusSeconds(i + 1));
            price(i % 2 == 0 ? "40000" : "40100", T0.plusSeconds(i), i + 1);
        }
        MarginService.Outcome o = service.onAccountEvent(VENUE, new MarginService.AccountChange("tiny", "tiny-entry", 1,
                T0.plusSeconds(21), Map.of(), new MarginService.PositionChange(BTC, new BigDecimal("-0.5"),
                new BigDecimal("0.000000000000000001"), null)));
        assertThat(o.status()).isEqualTo(MarginService.Outcome.Status.ACCEPTED);
        assertThat(o.notifications()).isEqualTo(1);
        JsonNode handoff = JSON.readTree(ports.sns.bodies.get(ports.sns.bodies.size() - 1));
        assertThat(handoff.get("type").asText()).isEqualTo("LIQUIDATION_HANDOFF");
        assertThat(handoff.get("positions").get(0).get("liquidationPrice").asText()).isEqualTo("0.00000000");
        assertThat(handoff.get("positions").get(0).get("sigmasToLiquidation").isNull()).as("no log distance to 0").isTrue();
        ports.clock.set(T0.plusSeconds(23));
        assertThat(price("40050", T0.plusSeconds(22), 30).status()).isEqualTo(MarginService.Outcome.Status.ACCEPTED);
    }
}
