package org.margincall.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.Notification;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.local.LocalStackProcess;
import org.margincall.engine.local.StackReplay;
import org.margincall.engine.local.sdk.FaultInjector;
import org.margincall.engine.local.sdk.LatencyInjector;
import org.margincall.engine.scenario.ScaleGenerator;
import org.margincall.engine.scenario.Scenario;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The local run (README's first command, {@code infra/local/run-scenario.sh}): replays a SPEC §7
 * scenario through the whole stack on the local stand-ins and writes {@code notifications.jsonl},
 * {@code summary.txt} and {@code report.html} into OUTDIR. {@code --help} tells the rest.
 *
 * <p>Exit codes: 0 done, 1 the run failed, 2 bad input (an option, or a scenario file that does
 * not parse or validate; refused before anything starts), 130 interrupted (SIGINT), 143
 * terminated (SIGTERM). Whatever way it ends, every process the run started is stopped and its
 * state dir removed ({@link LocalStackProcess}).
 *
 * <p>{@code venue} as the first argument runs the data-in command instead
 * ({@link org.margincall.engine.local.VenueCommand}, {@code infra/local/venue.sh}).
 */
@Command(name = "run-scenario.sh", sortOptions = false, usageHelpWidth = 92,
        description = {
            "Replays a market scenario (SPEC §7) through the whole margin-call engine on local AWS",
            "stand-ins (DynamoDB, SNS/SQS, Step Functions, EventBridge on 127.0.0.1, started for the run",
            "and stopped after it) and writes what a venue's subscriber receives, a summary and a report.",
            "Scenario time is the only clock: the same scenario gives the same notifications and report,",
            "byte for byte, at any --speed and with --in-process.",
            "With --faults, every AWS call the engine makes may fail as AWS fails them (seeded), each",
            "handler invocation that fails is delivered again as EventBridge, SQS and Step Functions",
            "would, and metrics.json tells what was lost or late against the in-process reference."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done: the four files are written",
            "1:the run failed (a stand-in, the engine, or writing the files)",
            "2:bad input: an unknown or malformed option, or a scenario file that does not parse or "
                    + "validate (refused before anything starts)",
            "130:interrupted (Ctrl-C, SIGINT)",
            "143:terminated (SIGTERM)"},
        footerHeading = "%nOutputs, in OUTDIR:%n",
        footer = {
            "  notifications.jsonl   every notification received (SPEC §6), one body a line, once per",
            "                        notificationId (a subscriber drops a duplicate delivery)",
            "  summary.txt           counts, wall time, each (sub-)account worst first, its notices",
            "  report.html           the page: overview, price paths, ratio charts, notice tables",
            "  metrics.json          counts: price events, evaluations, DynamoDB items read for them,",
            "                        SNS publish calls (the SDK's responses), notifications, chunks, wall",
            "                        time; lastPriceEvent and perPriceEvent: each price event's own wall",
            "                        time (handler and chunks), items read, DynamoDB and SNS calls,",
            "                        notices; with --faults also faults injected, invocations retried,",
            "                        duplicates received, delivered by the sweep, lost, late",
            "",
            "Progress goes to stderr: one updating line on a terminal, otherwise a plain line at every",
            "10 %% of the events or every 10 s. A short summary goes to stdout. However the run ends",
            "(done, failed, Ctrl-C), every process it started is stopped and its state dir",
            "target/replay-stack-<pid> removed.",
            "",
            "Examples:",
            "  infra/local/run-scenario.sh ../shared/golden/scenario-crash.json out/golden --speed max",
            "  infra/local/run-scenario.sh --accounts 1000 --speed max     # scale mode: sample crash, out/",
            "  infra/local/run-scenario.sh ../shared/golden/scenario-crash.json out/f1 --speed max --faults 0.2 --fault-seed 1"})
public final class ReplayMain implements Callable<Integer> {
    static final int OK = 0;
    static final int RUN_FAILED = 1;
    static final int BAD_INPUT = 2;
    static final int INTERRUPTED = 130;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Set (before the shutdown hooks run) when a signal ends the run: failures after it are its echo. */
    private static final AtomicBoolean SIGNALLED = new AtomicBoolean();

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO",
            description = "scenario file (SPEC §7), default scenarios/sample-crash.json")
    Path scenarioFile;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUTDIR",
            description = "where the four files go, created if needed, default out/")
    Path outDir;

    @Option(names = "--speed", paramLabel = "N|max", converter = SpeedConverter.class, defaultValue = "200",
            description = "scenario seconds per wall second, default ${DEFAULT-VALUE}; max does not pace "
                    + "(and only then are events/s a throughput)")
    double speed;

    @Option(names = "--accounts", paramLabel = "N", converter = CountConverter.class, defaultValue = "0",
            description = "scale mode: add N generated accounts (fixed seed) to the scenario")
    int extraAccounts;

    @Option(names = "--in-process",
            description = "replay the pure domain in this JVM instead of the stack (the reference behaviour; no stand-ins)")
    boolean inProcess;

    @Option(names = "--faults", paramLabel = "RATE", converter = RateConverter.class,
            description = "inject faults (throttling, 5xx, resets, lost answers, partial batches) into this "
                    + "fraction of the engine's AWS calls, 0 to 1 (the SDK's retries stay on)")
    Double faultRate;

    @Option(names = "--fault-seed", paramLabel = "N", defaultValue = "1",
            description = "seed of the faults, default ${DEFAULT-VALUE}: the same seed, the same faults")
    long faultSeed;

    @Option(names = "--fault-kinds", paramLabel = "KIND,...", split = ",", hideParamSyntax = true,
            description = "only these kinds: THROTTLING, HTTP_500, HTTP_503, TIMEOUT_AFTER_APPLY, CONNECTION_RESET, "
                    + "PARTIAL_BATCH (default all)")
    List<FaultInjector.Kind> faultKinds;

    @Option(names = "--no-sdk-retries",
            description = "with --faults, switch the SDK's retries off: every fault reaches the engine "
                    + "(a harsher test; the engine ships with them on)")
    boolean noSdkRetries;

    @Option(names = "--real-sdk-backoff",
            description = "with --faults, keep the SDK's own back-off delays (default: the same retries, delays "
                    + "of at most 20 ms; no decision depends on them)")
    boolean realSdkBackoff;

    @Option(names = "--baseline",
            description = "trigger bands off (SPEC §10): every price event reads and decides every holder in turn, "
                    + "the pre-§10 path BENCHMARKS.md compares against")
    boolean baseline;

    @Option(names = "--latency", paramLabel = "SERVICE=MS,...",
            description = "add this latency to every call of the engine's clients, e.g. dynamodb=8,sns=20 "
                    + "(AWS-like; the stand-ins answer at once but are throughput-bound)")
    String latency;

    @Option(names = "--chunk-size", paramLabel = "N", converter = CountConverter.class, defaultValue = "500",
            description = "accounts one price event handles itself; more go to the worker queue in chunks of N, "
                    + "default ${DEFAULT-VALUE}")
    int chunkSize;

    @Option(names = {"-v", "--verbose"},
            description = "the engine's log at INFO on stderr (otherwise warnings and errors only), "
                    + "and the stack trace of a failure")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    private LatencyInjector latencies;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean stderrTty;
    private final boolean ownsLogging;

    ReplayMain(PrintStream out, PrintStream err, boolean stderrTty, boolean ownsLogging) {
        this.out = out;
        this.err = err;
        this.stderrTty = stderrTty;
        this.ownsLogging = ownsLogging;
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("venue")) {
            // data in (infra/local/venue.sh): its own commands, exit codes and signal handling
            org.margincall.engine.local.VenueCommand.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        // As in the tests (surefire): the engine logs through JBoss Logging, and the JDK's own
        // System.Logger finds jboss-logmanager on the classpath; both must see the same manager.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        installSignalHandlers();
        int code = run(args, System.out, System.err, true);
        // SDK clients leave non-daemon threads behind; the run is over.
        System.exit(code);
    }

    /**
     * Parses, runs and maps the outcome to an exit code; never calls System.exit. With
     * {@code ownsLogging} (the command, not a test) it also sets up this JVM's logging.
     */
    static int run(String[] args, PrintStream out, PrintStream err, boolean ownsLogging) {
        ReplayMain main = new ReplayMain(out, err, Terminal.stderr(), ownsLogging);
        CommandLine cli = new CommandLine(main);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setColorScheme(CommandLine.Help.defaultColorScheme(Terminal.colours(Terminal.stdout())
                ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF));
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter w = e.getCommandLine().getErr();
            w.println("run-scenario.sh: " + e.getMessage());
            w.println("usage: run-scenario.sh [SCENARIO] [OUTDIR] [--speed N|max] [--accounts N] [--in-process] "
                    + "[--faults RATE [--fault-seed N] [--fault-kinds K,...] [--no-sdk-retries]] [-v]");
            w.println("Try 'run-scenario.sh --help' for the options and exit codes.");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, c, parsed) -> main.failed(e));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (ownsLogging) {
            EngineLog.configure(err, verbose);
        }
        Path root = LocalStackProcess.projectRoot();
        Path scenarioPath = (scenarioFile != null ? scenarioFile : root.resolve("scenarios/sample-crash.json"))
                .toAbsolutePath().normalize();
        Path outPath = (outDir != null ? outDir : root.resolve("out")).toAbsolutePath().normalize();
        if (faultRate == null && (faultKinds != null || realSdkBackoff || noSdkRetries)) {
            throw new BadInput("--fault-kinds, --no-sdk-retries and --real-sdk-backoff need --faults RATE");
        }
        if (faultRate != null && inProcess) {
            throw new BadInput("--faults needs the stack: the in-process replay makes no AWS call to fail");
        }
        if (inProcess && (baseline || latency != null)) {
            throw new BadInput("--baseline and --latency need the stack: the in-process replay reads no store");
        }
        if (latency != null) {
            try {
                latencies = LatencyInjector.parse(latency);
            } catch (IllegalArgumentException e) {
                throw new BadInput("--latency: " + e.getMessage());
            }
        }
        Scenario scenario;
        try {
            scenario = ScaleGenerator.withAccounts(Scenario.read(scenarioPath), extraAccounts, 42);
        } catch (InvalidInputException e) {
            throw new BadInput("bad scenario " + scenarioPath + ": " + e.getMessage());
        }
        try {
            Files.createDirectories(outPath);
        } catch (IOException e) {
            throw new BadInput("cannot create OUTDIR " + outPath + ": " + e);
        }
        if (!Files.isWritable(outPath)) {
            throw new BadInput("OUTDIR " + outPath + " is not writable");
        }

        long t0 = System.nanoTime();
        ReportWriter.Series series = new ReportWriter.Series();
        List<Notification> reference = new InMemoryReplay(scenario).observe(series).run(scenario.events());
        List<JsonNode> received;
        Run run;
        Map<String, Object> metrics;
        if (inProcess) {
            received = new ArrayList<>();
            for (Notification n : reference) {
                received.add(JSON.valueToTree(n));
            }
            run = new Run("in-process domain replay", (System.nanoTime() - t0) / 1_000_000, Double.POSITIVE_INFINITY, 0);
            metrics = inProcessMetrics(scenario, series.evaluations(), received.size(), run);
        } else {
            FaultInjector faults = faultRate == null ? null : faultInjector();
            StackReplay.Result r = replayThroughTheStack(root, scenario, faults);
            // what a subscriber keeps: the first body of each notification id
            received = r.distinct().stream().map(StackReplay.Received::body).toList();
            run = new Run("whole stack on the local stand-ins", r.wallMillis(), speed, r.accountsEvaluated());
            List<JsonNode> parsed = new ArrayList<>();
            for (Notification n : reference) {
                parsed.add(JSON.readTree(JSON.writeValueAsString(n)));
            }
            metrics = stackMetrics(scenario, r, faults, !noSdkRetries, DeliveryCheck.againstDomain(parsed, scenario.events()).check(r.received()));
        }
        Map<String, Object> withScenario = new LinkedHashMap<>();
        withScenario.put("scenario", scenarioPath.getFileName().toString());
        if (!inProcess) {
            withScenario.put("triggerBands", !baseline);
            withScenario.put("latencyMillis", latencies == null ? Map.of() : latencies.millis());
        }
        withScenario.putAll(metrics);
        metrics = withScenario;
        List<JsonNode> ordered = deterministicOrder(received);
        ReportWriter.Overview overview = ReportWriter.Overview.of(series, ordered);
        try {
            write(outPath, scenarioPath, scenario, series, ordered, overview, run, metrics);
        } catch (IOException e) {
            throw new RunFailure("cannot write the files in " + outPath + ": " + e, e, null);
        }
        out.print(shortSummary(scenarioPath, scenario, ordered, overview, run, outPath, metrics));
        out.flush();
        return OK;
    }

    private FaultInjector faultInjector() {
        FaultInjector.Builder b = FaultInjector.builder().seed(faultSeed).rate(faultRate);
        if (faultKinds != null) {
            b.kinds(java.util.EnumSet.copyOf(faultKinds));
        }
        return b.build();
    }

    private StackReplay.Result replayThroughTheStack(Path root, Scenario scenario, FaultInjector faults) {
        Path stackDir = root.resolve("target/replay-stack-" + ProcessHandle.current().pid());
        int stale = LocalStackProcess.removeStale(root.resolve("target"), "replay-stack-");
        if (stale > 0) {
            err.println("removed " + stale + " state dir(s) left under target/ by runs that were killed");
        }
        err.println("starting the local stack (state in " + root.relativize(stackDir) + ")...");
        long t0 = System.nanoTime();
        LocalStackProcess stack;
        try {
            stack = LocalStackProcess.start(root, stackDir);
        } catch (RuntimeException e) {
            throw new RunFailure("the local stack did not start: " + e.getMessage(), e, null);
        }
        Progress progress = null;
        try {
            err.printf(Locale.ROOT, "local stack up in %.1f s; replaying %d events for %d accounts %s%n",
                    (System.nanoTime() - t0) / 1e9, scenario.events().size(), scenario.accounts().size(),
                    Double.isInfinite(speed) ? "at full speed (--speed max)" : "paced at " + plain(speed) + "x scenario time");
            progress = new Progress(err, stderrTty);
            StackReplay replay = new StackReplay(stack, scenario, speed, progress).withTriggerBands(!baseline)
                    .withChunkSize(Math.max(1, chunkSize));
            if (latencies != null) {
                err.printf(Locale.ROOT, "adding latency to the engine's calls: %s ms%n", latencies.millis());
                replay.withClientOverrides(c -> c.addExecutionInterceptor(latencies));
            }
            if (faults != null) {
                err.printf(Locale.ROOT, "injecting faults into %s of the engine's AWS calls (seed %d, %s)%n", plain(faultRate),
                        faultSeed, faultKinds == null ? "all kinds" : faultKinds.stream().map(Enum::name)
                                .collect(Collectors.joining(", ")));
                replay.withFaults(faults, !realSdkBackoff);
                if (noSdkRetries) {
                    replay.withClientOverrides(c -> c.retryStrategy(
                            software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()));
                }
            }
            return replay.run();
        } catch (Exception e) {
            String logs = SIGNALLED.get() ? null : stack.logTails(5);
            throw new RunFailure("the replay through the stack failed: " + e.getMessage(), e, logs);
        } finally {
            if (progress != null) {
                progress.finish();
            }
            stack.stop();
        }
    }

    /** Maps a failure to its exit code, and says what went wrong on stderr in a few lines. */
    private int failed(Exception e) {
        if (SIGNALLED.get()) {
            // The signal's shutdown is stopping the stack under the run's feet; it sets the exit code.
            return INTERRUPTED;
        }
        if (e instanceof BadInput) {
            err.println("run-scenario.sh: " + e.getMessage());
            return BAD_INPUT;
        }
        err.println("run-scenario.sh: run failed: " + e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !e.getMessage().contains(c.getMessage())) {
                err.println("  caused by " + c.getClass().getSimpleName() + ": " + c.getMessage());
            }
        }
        if (e instanceof RunFailure f && f.details != null && !f.details.isBlank()) {
            err.println("server logs:");
            err.print(f.details);
        }
        if (verbose) {
            e.printStackTrace(err);
        } else {
            err.println("(--verbose prints the stack trace)");
        }
        err.println("every process the run started has been stopped");
        return RUN_FAILED;
    }

    /**
     * metrics.json of an in-process run: what the domain replay can count (no AWS call is made, so
     * no DynamoDB item, SNS call or chunk: null), and no fault.
     */
    static Map<String, Object> inProcessMetrics(Scenario scenario, int evaluations, int notifications, Run run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "in-process");
        m.put("events", scenario.events().size());
        m.put("priceEvents", priceEvents(scenario));
        m.put("evaluations", evaluations);
        m.put("itemsRead", null);
        m.put("snsPublishCalls", null);
        m.put("notifications", notifications);
        m.put("chunks", null);
        m.put("wallMillis", run.wallMillis());
        m.put("lastPriceEvent", null);
        m.put("perPriceEvent", null);
        m.put("faults", null);
        for (String k : List.of("faultsInjected", "faultsSurfaced", "invocationsRetried", "duplicatesReceived",
                "deliveredBySweep", "notificationsOwed", "lost", "late", "recoverySeconds")) {
            m.put(k, null);
        }
        return m;
    }

    /**
     * metrics.json of a run through the stack: items and calls from the SDK's responses, the
     * replay's retries and duplicates, and what a deduplicating subscriber got against the
     * in-process reference (owed, lost, late: arrived after a later event than a fault-free run
     * delivers it, the safety net's included).
     */
    static Map<String, Object> stackMetrics(Scenario scenario, StackReplay.Result r, FaultInjector faults, boolean sdkRetries,
                                            DeliveryCheck.Outcome o) {
        StackReplay.Counts c = r.counts();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "stack");
        m.put("events", scenario.events().size());
        m.put("priceEvents", c.priceEvents());
        m.put("evaluations", c.evaluations());
        m.put("itemsRead", c.itemsRead());
        m.put("snsPublishCalls", c.snsPublishCalls());
        m.put("notifications", c.notifications());
        m.put("chunks", c.chunks());
        m.put("wallMillis", c.wallMillis());
        m.put("lastPriceEvent", c.lastPriceEvent() == null ? null : priceEventCost(c.lastPriceEvent()));
        m.put("perPriceEvent", perPriceEvent(c.perPriceEvent()));
        if (faults == null) {
            m.put("faults", null);
            m.put("faultsInjected", 0);
            m.put("faultsSurfaced", 0);
        } else {
            Map<String, Object> f = faults.snapshot();
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("rate", f.get("rate"));
            config.put("seed", f.get("seed"));
            config.put("kinds", f.get("kinds"));
            config.put("sdkRetries", sdkRetries);
            config.put("faultsInjectedByKind", f.get("faultsInjectedByKind"));
            config.put("faultsSurfacedByKind", f.get("faultsSurfacedByKind"));
            m.put("faults", config);
            m.put("faultsInjected", f.get("faultsInjected"));
            m.put("faultsSurfaced", f.get("faultsSurfaced"));
        }
        m.put("invocationsRetried", c.invocationsRetried());
        m.put("duplicatesReceived", c.duplicatesReceived());
        m.put("deliveredBySweep", c.deliveredBySweep());
        m.put("notificationsOwed", o.owed());
        m.put("lost", o.lost().size());
        m.put("late", o.late().size());
        m.put("recoverySeconds", o.recoverySeconds());
        m.put("unexpected", o.unexpected().size());
        m.put("differing", o.differing().size());
        List<String> misses = new ArrayList<>();
        o.lost().forEach(x -> misses.add("lost " + x.what() + " " + x.notificationId() + ", owed " + x.owed()));
        o.late().forEach(x -> misses.add("late " + x.what() + " " + x.notificationId() + ", owed " + x.owed() + ", got " + x.got()));
        o.differing().forEach(x -> misses.add("differing " + x.what() + " " + x.notificationId()));
        o.unexpected().forEach(x -> misses.add("unexpected " + x));
        m.put("misses", misses);
        m.put("sdkCalls", c.sdk());
        return m;
    }

    private static Map<String, Object> priceEventCost(StackReplay.PriceEventCost e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wallMillis", e.wallMillis());
        m.put("millisToLastPublish", e.millisToLastPublish());
        m.put("itemsRead", e.itemsRead());
        m.put("itemsQueried", e.itemsQueried());
        m.put("evaluations", e.evaluations());
        m.put("dynamoDbCalls", e.dynamoDbCalls());
        m.put("snsPublishCalls", e.snsPublishCalls());
        m.put("snsPublishedEntries", e.snsPublishedEntries());
        m.put("notifications", e.notifications());
        m.put("chunks", e.chunks());
        return m;
    }

    /** Every price event's cost, one array per figure (column-wise: a long tape stays small), in the order fed. */
    private static Map<String, Object> perPriceEvent(List<StackReplay.PriceEventCost> all) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wallMillis", all.stream().map(StackReplay.PriceEventCost::wallMillis).toList());
        m.put("millisToLastPublish", all.stream().map(StackReplay.PriceEventCost::millisToLastPublish).toList());
        m.put("itemsRead", all.stream().map(StackReplay.PriceEventCost::itemsRead).toList());
        m.put("itemsQueried", all.stream().map(StackReplay.PriceEventCost::itemsQueried).toList());
        m.put("evaluations", all.stream().map(StackReplay.PriceEventCost::evaluations).toList());
        m.put("dynamoDbCalls", all.stream().map(StackReplay.PriceEventCost::dynamoDbCalls).toList());
        m.put("snsPublishCalls", all.stream().map(StackReplay.PriceEventCost::snsPublishCalls).toList());
        m.put("snsPublishedEntries", all.stream().map(StackReplay.PriceEventCost::snsPublishedEntries).toList());
        m.put("notifications", all.stream().map(StackReplay.PriceEventCost::notifications).toList());
        m.put("chunks", all.stream().map(StackReplay.PriceEventCost::chunks).toList());
        return m;
    }

    private static int priceEvents(Scenario scenario) {
        return (int) scenario.events().stream().filter(e -> e instanceof org.margincall.engine.scenario.ScenarioEvent.Price).count();
    }

    /**
     * Per (sub-)account in the order received; across accounts by scenario time then account, so
     * that the file is the same on every run (the order across accounts at one instant is not
     * specified, SPEC §7).
     */
    public static List<JsonNode> deterministicOrder(List<JsonNode> received) {
        List<JsonNode> sorted = new ArrayList<>(received);
        sorted.sort(Comparator.comparing((JsonNode n) -> n.get("evaluatedAt").asText(), Timestamps.BY_INSTANT)
                .thenComparing(n -> n.get("accountId").asText())
                .thenComparing(n -> n.get("isolatedInstrument").isNull() ? "" : n.get("isolatedInstrument").asText()));
        return sorted;
    }

    /** How the notifications were obtained, for the summaries (never for the report). */
    record Run(String mode, long wallMillis, double speed, int accountsEvaluated) {
        boolean paced() {
            return Double.isFinite(speed);
        }
    }

    private static void write(Path outDir, Path scenarioFile, Scenario scenario, ReportWriter.Series series,
                              List<JsonNode> notifications, ReportWriter.Overview overview, Run run,
                              Map<String, Object> metrics) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(outDir.resolve("notifications.jsonl"))) {
            for (JsonNode n : notifications) {
                w.write(JSON.writeValueAsString(n));
                w.newLine();
            }
        }
        Files.writeString(outDir.resolve("summary.txt"), fullSummary(scenarioFile, scenario, notifications, overview, run, metrics));
        Files.writeString(outDir.resolve("metrics.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(metrics) + System.lineSeparator());
        Files.writeString(outDir.resolve("report.html"),
                ReportWriter.html("Margin Call Engine replay: " + scenarioFile.getFileName(), scenario, series, notifications));
    }

    /** The few lines on stdout. */
    static String shortSummary(Path scenarioFile, Scenario scenario, List<JsonNode> notifications,
                               ReportWriter.Overview overview, Run run, Path outDir, Map<String, Object> metrics) {
        StringBuilder s = new StringBuilder();
        s.append(headline(scenarioFile, scenario, notifications, run)).append('\n');
        s.append("  notices:  ").append(counts(overview.noticesByType(), false)).append('\n');
        s.append("  (sub-)accounts by final level:  ").append(counts(overview.byFinalLevel(), true)).append('\n');
        List<ReportWriter.Outcome> worst = overview.worstFirst().stream().filter(o -> Double.isFinite(o.finalRatio()))
                .limit(3).toList();
        if (!worst.isEmpty()) {
            s.append("  worst final ratio:  ").append(worst.stream().map(o -> o.subAccount() + " " + o.finalLevel() + " "
                    + ReportWriter.ratio4(o.finalRatio())).collect(Collectors.joining(", "))).append('\n');
        }
        s.append("  ").append(wallTime(run, scenario)).append('\n');
        if (metrics.get("faults") != null) {
            s.append("  ").append(faultLine(metrics)).append('\n');
        }
        s.append("  files:  ").append(outDir.resolve("report.html")).append(", summary.txt, notifications.jsonl, metrics.json\n");
        return s.toString();
    }

    /** summary.txt: the short summary's facts in full, then every (sub-)account worst first with its notices. */
    static String fullSummary(Path scenarioFile, Scenario scenario, List<JsonNode> notifications,
                              ReportWriter.Overview overview, Run run, Map<String, Object> metrics) {
        StringBuilder s = new StringBuilder();
        s.append(headline(scenarioFile, scenario, notifications, run)).append('\n');
        s.append("scenario ").append(scenarioFile).append('\n');
        s.append(wallTime(run, scenario)).append("\n\n");
        s.append("metrics (metrics.json; n/a: not measured in this mode):\n");
        for (String k : List.of("events", "priceEvents", "evaluations", "itemsRead", "snsPublishCalls", "notifications",
                "chunks", "wallMillis")) {
            s.append(String.format(Locale.ROOT, "  %-20s %10s%n", k, metrics.get(k) == null ? "n/a" : metrics.get(k)));
        }
        if (metrics.get("faults") != null) {
            s.append(faultLine(metrics)).append('\n');
            for (String k : List.of("faultsInjected", "faultsSurfaced", "invocationsRetried", "duplicatesReceived",
                    "deliveredBySweep", "notificationsOwed", "lost", "late", "recoverySeconds")) {
                s.append(String.format(Locale.ROOT, "  %-20s %10s%n", k, metrics.get(k)));
            }
            @SuppressWarnings("unchecked")
            List<String> misses = (List<String>) metrics.get("misses");
            misses.forEach(x -> s.append("  ").append(x).append('\n'));
        }
        s.append('\n');
        s.append("notices by type (severity order):\n");
        overview.noticesByType().forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-20s %6d%n", k, v)));
        s.append("(sub-)accounts by final level:\n");
        overview.byFinalLevel().forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-20s %6d%n", k, v)));
        s.append("\n(sub-)accounts, worst first (lowest final collateral ratio):\n");
        s.append(String.format(Locale.ROOT, "  %-24s %-12s %12s %12s %8s%n", "(sub-)account", "final level", "final ratio",
                "lowest ratio", "notices"));
        for (ReportWriter.Outcome o : overview.worstFirst()) {
            s.append(String.format(Locale.ROOT, "  %-24s %-12s %12s %12s %8d%n", o.subAccount(), o.finalLevel(),
                    ReportWriter.ratio4(o.finalRatio()), ReportWriter.ratio4(o.lowestRatio()), o.notices().size()));
        }
        s.append('\n');
        for (ReportWriter.Outcome o : overview.worstFirst()) {
            if (o.notices().isEmpty()) {
                continue;
            }
            List<String> path = new ArrayList<>(List.of("HEALTHY"));
            for (JsonNode n : o.notices()) {
                if (!n.get("level").asText().equals(path.get(path.size() - 1))) {
                    path.add(n.get("level").asText());
                }
            }
            s.append(o.subAccount()).append(": ").append(String.join(" -> ", path)).append("  (final ")
                    .append(o.finalLevel()).append(")\n");
            s.append(String.format(Locale.ROOT, "  %-24s  %-20s %-8s %-12s %8s %12s %12s %10s%n", "time", "type", "reason",
                    "level", "ratio", "deposit", "min deposit", "reduce"));
            for (JsonNode n : o.notices()) {
                s.append(String.format(Locale.ROOT, "  %-24s  %-20s %-8s %-12s %8s %12s %12s %10s%n",
                        n.get("evaluatedAt").asText(), n.get("type").asText(), n.get("reason").asText(),
                        n.get("level").asText(), ReportWriter.ratio4(ReportWriter.ratio(n)), n.get("requiredDeposit").asText(),
                        n.path("minimumDeposit").asText("-"),
                        n.path("reduceFraction").isNumber() ? String.format(Locale.ROOT, "%.4f", n.get("reduceFraction").asDouble())
                                : "-"));
            }
        }
        return s.toString();
    }

    /** One line on the faults: rate, seed, what happened, what a subscriber lost. */
    private static String faultLine(Map<String, Object> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> f = (Map<String, Object>) m.get("faults");
        return String.format(Locale.ROOT, "faults at %s (seed %s): %s injected, %s invocations retried, %s duplicates "
                        + "received, %s delivered by the sweep; lost %s, late %s of %s owed",
                f.get("rate"), f.get("seed"), m.get("faultsInjected"), m.get("invocationsRetried"), m.get("duplicatesReceived"),
                m.get("deliveredBySweep"), m.get("lost"), m.get("late"), m.get("notificationsOwed"));
    }

    private static String headline(Path scenarioFile, Scenario scenario, List<JsonNode> notifications, Run run) {
        return scenarioFile.getFileName() + ": " + scenario.accounts().size() + " accounts, " + scenario.events().size()
                + " events, " + notifications.size() + " notifications (" + run.mode() + ")";
    }

    /** Rates only where they mean throughput: a paced run's wall time is the pacing. */
    private static String wallTime(Run run, Scenario scenario) {
        double secs = run.wallMillis() / 1000.0;
        if (run.paced()) {
            return String.format(Locale.ROOT, "wall time %.1f s, paced at %sx scenario time (not a throughput figure: "
                    + "--speed max measures one)", secs, plain(run.speed()));
        }
        if (run.accountsEvaluated() == 0 || secs <= 0) {
            return String.format(Locale.ROOT, "wall time %.1f s", secs);
        }
        return String.format(Locale.ROOT, "wall time %.1f s at --speed max: %.1f events/s, %.1f accounts evaluated/s",
                secs, scenario.events().size() / secs, run.accountsEvaluated() / secs);
    }

    private static String counts(Map<String, Integer> counts, boolean zeros) {
        String s = counts.entrySet().stream().filter(e -> zeros || e.getValue() > 0)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        return s.isEmpty() ? "none" : s;
    }

    private static String plain(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Bad input (exit 2): refused before anything starts. */
    static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }

    /** The run failed (exit 1), with what the stand-ins logged when it is known. */
    static final class RunFailure extends RuntimeException {
        final String details;

        RunFailure(String message, Throwable cause, String details) {
            super(message, cause);
            this.details = details;
        }
    }

    /** {@code max} or a positive number. */
    static final class SpeedConverter implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            if (value.equalsIgnoreCase("max")) {
                return Double.POSITIVE_INFINITY;
            }
            try {
                double d = Double.parseDouble(value);
                if (d > 0 && Double.isFinite(d)) {
                    return d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is neither a positive number nor max");
        }
    }

    /** A fault rate: a number from 0 to 1. */
    static final class RateConverter implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                double d = Double.parseDouble(value);
                if (d >= 0 && d <= 1) {
                    return d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a fault rate (a number from 0 to 1)");
        }
    }

    /** A whole number, zero or more. */
    static final class CountConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number of accounts (0 or more)");
        }
    }

    /**
     * Progress on stderr: on a terminal one line rewritten in place with {@code \r} (at most ten
     * times a second); otherwise, for a log, a plain line at every tenth of the events or every 10
     * seconds, whichever comes first. No colour either way.
     */
    static final class Progress implements StackReplay.Progress {
        private final PrintStream err;
        private final boolean tty;
        private final long start = System.nanoTime();
        private long lastPrint;
        private boolean printed;
        private int lastTenth;
        private int width;
        private boolean open;

        Progress(PrintStream err, boolean tty) {
            this.err = err;
            this.tty = tty;
        }

        @Override
        public synchronized void fed(int events, int total, int notifications, Instant scenarioTime) {
            long now = System.nanoTime();
            int tenth = total == 0 ? 10 : events * 10 / total;
            String line = String.format(Locale.ROOT, "replay: %d/%d events (%d%%), %d notifications, scenario time %s, %.0f s",
                    events, total, total == 0 ? 100 : events * 100 / total, notifications, Timestamps.format(scenarioTime),
                    (now - start) / 1e9);
            boolean due = !printed || events == total;
            printed = true;
            if (tty) {
                if (due || now - lastPrint >= 100_000_000L) {
                    err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                    err.flush();
                    width = line.length();
                    lastPrint = now;
                    open = true;
                }
            } else if (due || tenth > lastTenth || now - lastPrint >= 10_000_000_000L) {
                err.println(line);
                lastTenth = tenth;
                lastPrint = now;
            }
        }

        synchronized void finish() {
            if (open) {
                err.println();
                open = false;
            }
        }
    }

    /** The engine's log on stderr, one plain line a record: warnings and up, or INFO with --verbose. */
    public static final class EngineLog {
        /**
         * The metrics libraries warn on every flush that no CloudWatch agent or service name is
         * configured, which is always true here: errors only, unless --verbose. (Held: JUL keeps
         * loggers weakly, and a collected logger forgets its level.)
         */
        private static final List<java.util.logging.Logger> QUIETED = new ArrayList<>();

        public static void configure(PrintStream err, boolean verbose) {
            if (!verbose) {
                for (String name : List.of("software.amazon.cloudwatchlogs.emf", "software.amazon.lambda.powertools")) {
                    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
                    l.setLevel(java.util.logging.Level.SEVERE);
                    QUIETED.add(l);
                }
            }
            java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
            for (java.util.logging.Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            java.util.logging.Handler handler = new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord r) {
                    if (!isLoggable(r)) {
                        return;
                    }
                    String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
                    String message = r.getMessage();
                    try {
                        message = new java.util.logging.SimpleFormatter().formatMessage(r);
                    } catch (RuntimeException ignored) {
                        // keep the raw message
                    }
                    err.println("engine " + r.getLevel().getName() + " " + logger.substring(logger.lastIndexOf('.') + 1)
                            + ": " + message);
                    if (r.getThrown() != null && verbose) {
                        r.getThrown().printStackTrace(err);
                    }
                }

                @Override
                public void flush() {
                    err.flush();
                }

                @Override
                public void close() {
                    flush();
                }
            };
            java.util.logging.Level level = verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING;
            handler.setLevel(level);
            root.setLevel(level);
            root.addHandler(handler);
        }
    }

    /**
     * Whether a stream is a terminal. run-scenario.sh tells ({@code [ -t 1 ]}, {@code [ -t 2 ]})
     * through system properties; without them, {@link System#console()}.
     */
    public static final class Terminal {
        public static boolean stdout() {
            return is("margincall.stdout.tty");
        }

        public static boolean stderr() {
            return is("margincall.stderr.tty");
        }

        public static boolean colours(boolean tty) {
            String term = System.getenv("TERM");
            return tty && System.getenv("NO_COLOR") == null && !"dumb".equals(term);
        }

        private static boolean is(String property) {
            String v = System.getProperty(property);
            return v != null ? Boolean.parseBoolean(v) : System.console() != null;
        }
    }

    /**
     * SIGINT/SIGTERM: mark the run as signalled before the shutdown hooks stop the stack, so that
     * what fails under it is not reported as a failure; then exit as the JVM would (128 + signal).
     */
    @SuppressWarnings("removal")
    private static void installSignalHandlers() {
        for (String[] sig : new String[][]{{"INT", "130"}, {"TERM", "143"}}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig[0]), s -> {
                    if (SIGNALLED.compareAndSet(false, true)) {
                        System.err.println();
                        System.err.println("run-scenario.sh: " + (sig[0].equals("INT") ? "interrupted" : "terminated")
                                + "; stopping everything the run started");
                    }
                    System.exit(Integer.parseInt(sig[1]));
                });
            } catch (IllegalArgumentException | LinkageError e) {
                // ignored by the parent, or unsupported here: the JVM's own handling applies
            }
        }
    }
}
