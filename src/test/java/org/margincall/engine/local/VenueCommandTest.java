package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.margincall.engine.domain.Level;
import org.margincall.engine.replay.ReplayMain;
import org.margincall.engine.service.MarginService;
import org.margincall.engine.service.port.StoredAccount;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Data in ({@code infra/local/venue.sh}) against the local stand-ins, through the AWS SDK:
 * {@code load}, {@code import} and the hand-off switch run in process as the command line runs
 * them ({@code --local} on this test run's stack), and once as a child process killed halfway.
 *
 * <p>The venue of every test: BTC-USD with one tier, mmr 0.01; ETH-USD mmr 0.02; USDT without
 * haircut, BTC at 10 %; thresholds 1.5 / 1.2 / 1.05 / 1.0, band 0.02. The generated account
 * {@code acct-NNNN} is long 1 BTC from 50000 with {@code 600 + NNNN} USDT: at a mark of 50000,
 * {@code MM = 500}, {@code Q = 600 + NNNN}, {@code R = (600 + NNNN) / 500}: WARNING for NNNN below
 * 150 (R from 1.2), HEALTHY from 150 on (R = 1.5).
 */
class VenueCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String BTC = "BTC-USD";
    static LocalStack stack;
    static DynamoDbClient ddb;
    static SnsClient sns;
    static SqsClient sqs;
    static SfnClient sfn;
    static EventBridgeClient events;

    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {
        long count(String what) {
            Matcher m = Pattern.compile("\\b" + Pattern.quote(what) + " (\\d+)").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    @BeforeAll
    static void stack() {
        stack = LocalStack.shared();
        ddb = stack.dynamoDb();
        sns = stack.sns();
        sqs = stack.sqs();
        sfn = stack.sfn();
        events = EventBridgeClient.builder().endpointOverride(URI.create(stack.endpoint("EVENTS_ENDPOINT")))
                .region(Region.US_EAST_1).credentialsProvider(LocalStack.credentials())
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterAll
    static void close() {
        for (var c : List.of(ddb, sns, sqs, sfn, events)) {
            c.close();
        }
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = VenueCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String local() {
        return stack.stackDir.toString();
    }

    static String venueJson(String id, String btcMmr) {
        return """
                {"venue":{"id":"%s","thresholds":{"warning":"1.5","marginCall":"1.2","critical":"1.05","liquidation":"1.0"},
                          "hysteresis":"0.02","gracePeriodSeconds":600,"finalNoticeSeconds":300,"reminderSeconds":300},
                 "instruments":[{"symbol":"BTC-USD","tiers":[{"floor":"0","cap":null,"mmr":"%s"}]},
                                {"symbol":"ETH-USD","tiers":[{"floor":"0","cap":null,"mmr":"0.02"}]}],
                 "collateralAssets":[{"asset":"USDT","haircut":"0"},{"asset":"BTC","haircut":"0.1","priceInstrument":"BTC-USD"}],
                 "accounts":[{"accountId":"from-file","collateral":{"USDT":"1000"}}],
                 "events":[]}""".formatted(id, btcMmr);
    }

    Path loadVenue(String id) throws IOException {
        Path f = dir.resolve(id + ".json");
        Files.writeString(f, venueJson(id, "0.01"));
        Outcome r = run("load", f.toString(), "--local", local());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("venue " + id, "created: 2 instruments, 2 collateral assets");
        return f;
    }

    static String line(int i, long sequence) {
        return "{\"accountId\":\"" + String.format("acct-%04d", i) + "\",\"sequence\":" + sequence
                + ",\"collateral\":{\"USDT\":\"" + (600 + i) + "\"},\"positions\":[{\"instrument\":\"BTC-USD\",\"size\":\"1\","
                + "\"entryPrice\":\"50000\"}]}";
    }

    Path accounts(String name, int n, long sequence) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(line(i, sequence)).append('\n');
        }
        Path f = dir.resolve(name);
        Files.writeString(f, b);
        return f;
    }

    static LocalEngine engine(String venueId, Instant now) {
        return LocalEngine.wire(ddb, sns, sfn, events, LocalConfig.of(stack.process, venueId), Clock.fixed(now, ZoneOffset.UTC));
    }

    static List<StoredAccount> all(LocalEngine e, String venueId) {
        List<StoredAccount> out = java.util.Collections.synchronizedList(new ArrayList<>());
        e.accounts().scanAll(venueId, 4, out::addAll);
        List<StoredAccount> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparing(a -> a.account().accountId()));
        return sorted;
    }

    @Test
    void aThousandAccountsImportedThenEvaluatedByAPriceAndASecondImportChangesNothing() throws Exception {
        String venue = "import-1k";
        Path venueFile = loadVenue(venue);
        assertThat(run("load", venueFile.toString(), "--local", local()).out()).as("the same configuration again")
                .contains("unchanged, nothing written");
        Path file = accounts("accounts.jsonl", 1000, 1);

        Outcome first = run("import", file.toString(), "--local", local(), "--venue", venue, "--threads", "8");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("1000 lines");
        assertThat(first.count("created")).isEqualTo(1000);
        assertThat(first.err()).contains("import: 1000/1000 lines (100%)");
        assertThat(Files.exists(dir.resolve("accounts.jsonl.import-state"))).as("a finished run removes its checkpoint").isFalse();

        Instant t = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        LocalEngine engine = engine(venue, t);
        List<StoredAccount> imported = all(engine, venue);
        assertThat(imported).hasSize(1000).allSatisfy(a -> {
            assertThat(a.version()).isZero();
            assertThat(a.lastEventSequence()).isEqualTo(1);
            assertThat(a.states()).isEmpty();
        });
        assertThat(imported.get(7).account().collateral().get("USDT")).isEqualByComparingTo("607");
        assertThat(engine.holdings().holders(venue, BTC)).hasSize(1000);

        Outcome again = run("import", file.toString(), "--local", local(), "--venue", venue);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.count("created")).isZero();
        assertThat(again.count("unchanged")).isEqualTo(1000);
        assertThat(all(engine, venue)).as("every item as it was, versions included").isEqualTo(imported);

        // A price evaluates them: 150 warnings, figures by hand for acct-0000 (R = 600 / 500 = 1.2).
        String queue = stack.subscribedQueue("NotificationsTopic",
                "{\"venueId\":[\"" + venue + "\"],\"accountId\":[\"acct-0000\",\"acct-0150\"]}");
        MarginService.Outcome priced = engine.service().onPrice(venue,
                new MarginService.PriceUpdate(BTC, new BigDecimal("50000"), t, 1, "test"));
        assertThat(priced.accountsEvaluated()).isEqualTo(1000);
        assertThat(priced.notifications()).isEqualTo(150);
        Map<String, StoredAccount> byId = new java.util.HashMap<>();
        all(engine, venue).forEach(a -> byId.put(a.account().accountId(), a));
        assertThat(byId.get("acct-0000").state("acct-0000").level()).isEqualTo(Level.WARNING);
        assertThat(byId.get("acct-0149").state("acct-0149").level()).isEqualTo(Level.WARNING); // 749 / 500 = 1.498
        assertThat(byId.get("acct-0150").state("acct-0150").level()).isEqualTo(Level.HEALTHY); // 750 / 500 = 1.5
        List<Message> got = sqs.receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(10).maxNumberOfMessages(10)).messages();
        assertThat(got).hasSize(1);
        JsonNode warning = JSON.readTree(got.get(0).body());
        assertThat(warning.get("type").asText()).isEqualTo("MARGIN_WARNING");
        assertThat(warning.get("accountId").asText()).isEqualTo("acct-0000");
        assertThat(warning.get("collateralRatio").decimalValue()).isEqualByComparingTo("1.2");
        assertThat(warning.get("equity").asText()).isEqualTo("600.00");
        assertThat(warning.get("maintenanceMargin").asText()).isEqualTo("500.00");
        assertThat(warning.get("requiredDeposit").asText()).isEqualTo("165.00"); // 1.5 x 1.02 x 500 - 600
    }

    @Test
    void anImportKilledHalfwayCompletesWhenRunAgainAndChangesNothingAfter() throws Exception {
        String venue = "import-killed";
        loadVenue(venue);
        int n = 1200;
        Path file = accounts("big.jsonl", n, 3);
        Path state = dir.resolve("big.jsonl.import-state");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp", classpath,
                "-Dmargincall.root=" + stack.root, ReplayMain.class.getName(), "venue", "import", file.toString(),
                "--local", local(), "--venue", venue, "--threads", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.currentTimeMillis() + 120_000;
        long checkpointed = 0;
        while (System.currentTimeMillis() < deadline && child.isAlive()) {
            if (Files.exists(state)) {
                try {
                    checkpointed = JSON.readTree(state.toFile()).path("done").asLong();
                } catch (IOException racing) {
                    // being replaced: read again
                }
                if (checkpointed >= 150) {
                    break;
                }
            }
            Thread.sleep(10);
        }
        assertThat(child.isAlive()).as("still importing when killed (log: %s)", Files.readString(log)).isTrue();
        child.destroyForcibly(); // SIGKILL: no hook runs, the checkpoint is what it was
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(checkpointed).isBetween(150L, (long) n - 1);
        LocalEngine engine = engine(venue, Instant.now());
        int storedAtKill = all(engine, venue).size();
        assertThat(storedAtKill).as("killed halfway").isBetween((int) checkpointed, n - 1);

        Outcome resumed = run("import", file.toString(), "--local", local(), "--venue", venue);
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).containsPattern("resuming after line \\d+ of " + n);
        assertThat(resumed.out()).containsPattern("resumed after line \\d+");
        assertThat(resumed.count("created") + resumed.count("unchanged")).as(resumed.out()).isEqualTo(n);
        assertThat(resumed.count("refused")).isZero();
        assertThat(Files.exists(state)).isFalse();
        List<StoredAccount> done = all(engine, venue);
        assertThat(done).hasSize(n).allSatisfy(a -> {
            assertThat(a.version()).isZero();
            assertThat(a.lastEventSequence()).isEqualTo(3);
        });
        assertThat(engine.holdings().holders(venue, BTC)).hasSize(n);

        Outcome third = run("import", file.toString(), "--local", local(), "--venue", venue);
        assertThat(third.count("unchanged")).as(third.out()).isEqualTo(n);
        assertThat(all(engine, venue)).isEqualTo(done);
    }

    @Test
    void anOlderSnapshotLeavesAnAccountUntouchedAndANewerOneKeepsItsMarginState() throws Exception {
        String venue = "import-order";
        loadVenue(venue);
        Instant t = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        LocalEngine engine = engine(venue, t);
        MarginService service = engine.service();
        // The venue's first events for an account the engine does not know create it (SPEC §5.2).
        assertThat(engine.accounts().get(venue, "bob")).isEmpty();
        service.onAccountEvent(venue, new MarginService.AccountChange("e1", "bob", 1, t, Map.of("USDT", new BigDecimal("650")), null));
        service.onAccountEvent(venue, new MarginService.AccountChange("e2", "bob", 2, t, Map.of(),
                new MarginService.PositionChange(BTC, BigDecimal.ONE, new BigDecimal("50000"), null)));
        service.onPrice(venue, new MarginService.PriceUpdate(BTC, new BigDecimal("50000"), t, 1, "test"));
        StoredAccount before = engine.accounts().get(venue, "bob").orElseThrow();
        assertThat(before.state("bob").level()).isEqualTo(Level.WARNING); // 650 / 500 = 1.3
        assertThat(before.lastEventSequence()).isEqualTo(2);

        Path older = dir.resolve("older.jsonl");
        Files.writeString(older, "{\"accountId\":\"bob\",\"sequence\":1,\"collateral\":{\"USDT\":\"99999\"}}\n");
        Outcome o = run("import", older.toString(), "--local", local(), "--venue", venue);
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.count("skipped-newer")).isEqualTo(1);
        assertThat(engine.accounts().get(venue, "bob").orElseThrow()).isEqualTo(before);

        Path same = dir.resolve("same.jsonl");
        Files.writeString(same, "{\"accountId\":\"bob\",\"sequence\":2,\"collateral\":{\"USDT\":\"99999\"}}\n");
        assertThat(run("import", same.toString(), "--local", local(), "--venue", venue).count("unchanged")).isEqualTo(1);
        assertThat(engine.accounts().get(venue, "bob").orElseThrow()).isEqualTo(before);

        // Newer: balances and positions replaced (BTC reduced, ETH opened, a wire in flight), the WARNING kept.
        Path newer = dir.resolve("newer.jsonl");
        Files.writeString(newer, "{\"accountId\":\"bob\",\"sequence\":5,\"collateral\":{\"USDT\":\"700\"},\"positions\":["
                + "{\"instrument\":\"BTC-USD\",\"size\":\"0.5\",\"entryPrice\":\"50000\"},"
                + "{\"instrument\":\"ETH-USD\",\"size\":\"-2\",\"entryPrice\":\"2500\"}],"
                + "\"pendingDeposits\":[{\"asset\":\"USDT\",\"amount\":\"300\",\"reference\":\"w1\",\"expectedBy\":\"2030-01-01T00:00:00Z\"}]}\n");
        Outcome u = run("import", newer.toString(), "--local", local(), "--venue", venue);
        assertThat(u.count("updated")).as(u.out() + u.err()).isEqualTo(1);
        StoredAccount after = engine.accounts().get(venue, "bob").orElseThrow();
        assertThat(after.account().collateral()).containsOnlyKeys("USDT");
        assertThat(after.account().collateral().get("USDT")).isEqualByComparingTo("700");
        assertThat(after.account().positions()).extracting(p -> p.instrument() + " " + p.size().toPlainString())
                .containsExactly("BTC-USD 0.5", "ETH-USD -2");
        assertThat(after.account().pendingDeposits()).extracting(d -> d.reference()).containsExactly("w1");
        assertThat(after.lastEventSequence()).isEqualTo(5);
        assertThat(after.version()).isEqualTo(before.version() + 1);
        assertThat(after.states()).isEqualTo(before.states());
        assertThat(after.outbox()).isEqualTo(before.outbox());
        assertThat(after.escalations()).isEqualTo(before.escalations());
        assertThat(engine.holdings().holders(venue, "ETH-USD")).containsExactly("bob");

        // An account event older than the import is ignored; a newer one applies.
        assertThat(service.onAccountEvent(venue, new MarginService.AccountChange("e3", "bob", 3, t,
                Map.of("USDT", new BigDecimal("1")), null)).status()).isEqualTo(MarginService.Outcome.Status.DUPLICATE);
        assertThat(service.onAccountEvent(venue, new MarginService.AccountChange("e6", "bob", 6, t,
                Map.of("USDT", new BigDecimal("800")), null)).status()).isEqualTo(MarginService.Outcome.Status.ACCEPTED);
        assertThat(engine.accounts().get(venue, "bob").orElseThrow().account().collateral().get("USDT")).isEqualByComparingTo("800");
    }

    @Test
    void refusedLinesAreNamedByLineAndJsonPathAndTheOthersImported() throws Exception {
        String venue = "import-refused";
        loadVenue(venue);
        Path file = dir.resolve("mixed.jsonl");
        Files.writeString(file, String.join("\n",
                line(1, 1),
                "{\"accountId\":\"typo\",\"sequence\":1,\"colateral\":{\"USDT\":\"1\"}}",
                "{\"accountId\":\"doge\",\"sequence\":1,\"positions\":[{\"instrument\":\"DOGE-USD\",\"size\":\"1\",\"entryPrice\":\"1\"}]}",
                line(1, 2),
                "{\"accountId\":\"broken\",",
                "",
                "{\"accountId\":\"low\",\"sequence\":1,\"warning\":\"1.1\"}",
                line(2, 1)) + "\n");
        Outcome dry = run("import", file.toString(), "--local", local(), "--venue", venue, "--dry-run");
        assertThat(dry.code()).isEqualTo(2);
        assertThat(dry.out()).contains("valid 2, refused 5 (nothing written)");
        assertThat(engine(venue, Instant.now()).accounts().get(venue, "acct-0001")).isEmpty();

        Outcome r = run("import", file.toString(), "--local", local(), "--venue", venue);
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.count("created")).isEqualTo(2);
        assertThat(r.count("refused")).isEqualTo(5);
        assertThat(r.err()).contains(
                "refused line 2: $.colateral",
                "refused line 3: $.positions[0].instrument = \"DOGE-USD\"",
                "refused line 4: $.accountId = \"acct-0001\": appears again: line 1",
                "refused line 5: $ = ",
                "refused line 7: ");
        assertThat(r.err()).doesNotContain("refused line 6");
        assertThat(Files.exists(dir.resolve("mixed.jsonl.import-state"))).isFalse();
        LocalEngine engine = engine(venue, Instant.now());
        assertThat(all(engine, venue)).extracting(a -> a.account().accountId()).containsExactly("acct-0001", "acct-0002");
    }

    @Test
    void loadRefusesATypoNamingItsPathAndUpdatesOnlyWhatChanged() throws Exception {
        String venue = "load-typo";
        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, venueJson(venue, "0.01").replace("\"warning\":\"1.5\"", "\"warnig\":\"1.5\""));
        Outcome refused = run("load", typo.toString(), "--local", local());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("$.venue.thresholds.warnig");
        assertThat(refused.out()).isEmpty();
        Path accounts = accounts("a.jsonl", 1, 1);
        Outcome notLoaded = run("import", accounts.toString(), "--local", local(), "--venue", venue);
        assertThat(notLoaded.code()).isEqualTo(2);
        assertThat(notLoaded.err()).contains("venue " + venue + " is not loaded");

        Path good = loadVenue(venue);
        Path tier = dir.resolve("tier.json");
        Files.writeString(tier, venueJson(venue, "0.0125"));
        Outcome updated = run("load", tier.toString(), "--local", local(), "--with-accounts");
        assertThat(updated.code()).as(updated.err()).isZero();
        assertThat(updated.out()).contains("updated: instruments changed BTC-USD").contains("accounts: created 1");
        assertThat(run("load", tier.toString(), "--local", local(), "--with-accounts").out())
                .contains("unchanged, nothing written", "accounts: unchanged 1");
        assertThat(new org.margincall.engine.adapter.dynamodb.VenueStore(ddb, LocalConfig.of(stack.process, venue)).load(venue)
                .catalog().tiers(0).rate(0)).isEqualByComparingTo("0.0125");

        Path dropped = dir.resolve("dropped.json");
        JsonNode root = JSON.readTree(Files.readString(good));
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("instruments")).remove(1);
        Files.writeString(dropped, root.toString());
        Outcome drop = run("load", dropped.toString(), "--local", local());
        assertThat(drop.code()).isEqualTo(2);
        assertThat(drop.err()).contains("$.instruments lacks [ETH-USD]");

        assertThat(run("load", good.toString()).code()).as("no target").isEqualTo(2);
        assertThat(run("load", good.toString(), "--local", local(), "--aws").code()).as("two targets").isEqualTo(2);
        assertThat(run("import", accounts.toString(), "--local", local(), "--venue", venue, "--threads", "0").code()).isEqualTo(2);
        assertThat(run("hold-handoffs", "--local", local(), "--venue", venue).err()).contains("--reason");
        assertThat(run("frobnicate").code()).isEqualTo(2);
    }

    @Test
    void holdingAndReleasingHandOffsAlertsTheOperationsTopicOnce() throws Exception {
        String venue = "switch";
        Path file = loadVenue(venue);
        String queue = stack.subscribedQueue("OperationsTopic", "{\"venueId\":[\"" + venue + "\"]}");
        var venues = new org.margincall.engine.adapter.dynamodb.VenueStore(ddb, LocalConfig.of(stack.process, venue));

        Outcome hold = run("hold-handoffs", "--reason", "oracle incident 42", "--local", local(), "--venue", venue);
        assertThat(hold.code()).as(hold.err()).isZero();
        assertThat(hold.out()).contains("are held", "HANDOFFS_HELD sent to");
        JsonNode held = JSON.readTree(receiveOne(queue).body());
        assertThat(held.get("type").asText()).isEqualTo("HANDOFFS_HELD");
        assertThat(held.get("venueId").asText()).isEqualTo(venue);
        assertThat(held.get("reason").asText()).isEqualTo("oracle incident 42");
        assertThat(venues.load(venue).catalog().venue().handoffsHeld()).isTrue();

        assertThat(run("hold-handoffs", "--reason", "again", "--local", local(), "--venue", venue).out())
                .contains("were held already: nothing written, no alert");
        assertThat(run("load", file.toString(), "--local", local()).out()).as("a reload keeps the switch")
                .contains("unchanged, nothing written");
        assertThat(venues.load(venue).catalog().venue().handoffsHeld()).isTrue();
        Files.writeString(file, Files.readString(file).replace("\"hysteresis\"", "\"handoffsHeld\":false,\"hysteresis\""));
        Outcome flip = run("load", file.toString(), "--local", local());
        assertThat(flip.code()).isEqualTo(2);
        assertThat(flip.err()).contains("$.venue.handoffsHeld", "release-handoffs");
        assertThat(sqs.receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(1)).messages()).as("no second alert").isEmpty();

        Outcome release = run("release-handoffs", "--reason", "feed fixed", "--local", local(), "--venue", venue);
        assertThat(release.code()).as(release.err()).isZero();
        JsonNode released = JSON.readTree(receiveOne(queue).body());
        assertThat(released.get("type").asText()).isEqualTo("HANDOFFS_RELEASED");
        assertThat(released.get("reason").asText()).isEqualTo("feed fixed");
        assertThat(venues.load(venue).catalog().venue().handoffsHeld()).isFalse();
    }

    private static Message receiveOne(String queue) {
        List<Message> got = sqs.receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(10).maxNumberOfMessages(10)).messages();
        assertThat(got).hasSize(1);
        sqs.deleteMessage(b -> b.queueUrl(queue).receiptHandle(got.get(0).receiptHandle()));
        return got.get(0);
    }
}
