package org.margincall.engine.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.margincall.engine.adapter.dynamodb.DynamoDbAccountItems;
import org.margincall.engine.adapter.dynamodb.DynamoDbBandIndex;
import org.margincall.engine.adapter.dynamodb.DynamoDbHoldingsIndex;
import org.margincall.engine.adapter.dynamodb.VenueStore;
import org.margincall.engine.adapter.sns.OperationsAlerts;
import org.margincall.engine.codec.CatalogJson;
import org.margincall.engine.codec.JsonFields;
import org.margincall.engine.config.EngineConfig;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.CollateralAsset;
import org.margincall.engine.domain.Instrument;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.domain.SubAccount;
import org.margincall.engine.domain.Venue;
import org.margincall.engine.replay.ReplayMain;
import org.margincall.engine.service.AccountImport;
import org.margincall.engine.service.VenueOperations;
import org.margincall.engine.service.port.AccountItems.ImportOutcome;
import org.margincall.engine.service.port.DeliveryFailedException;
import org.margincall.engine.service.port.UnknownVenueException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.SnsClientBuilder;

/**
 * Data in ({@code infra/local/venue.sh}, also {@code run-scenario.sh venue ...}): loads or
 * updates a venue's configuration from the SPEC §7 {@code venue}, {@code instruments} and
 * {@code collateralAssets} objects, imports an accounts snapshot (JSON Lines,
 * {@code schema/account-snapshot-v1.schema.json}), and holds or releases the venue's hand-offs
 * (SPEC §3.5), in a deployed table or a running local stack. {@code --help} on each command tells
 * the rest.
 *
 * <p>Exit codes: 0 done, 1 failed (the table or topic could not be reached or written), 2 bad
 * input (an option, a file or a line that does not validate, named with its JSON path), 130
 * interrupted (SIGINT), 143 terminated (SIGTERM). An import stopped any way resumes when the
 * same command runs again.
 */
@Command(name = "venue.sh", sortOptions = false, usageHelpWidth = 100, mixinStandardHelpOptions = false,
        description = {
            "Data in for a venue of the margin-call engine, in a deployed table (--aws) or a local stack",
            "started by infra/local/serve.sh (--local STATE_DIR): its configuration, its accounts, and the",
            "operations switch that holds every liquidation hand-off."},
        subcommands = {VenueCommand.Load.class, VenueCommand.Import.class, VenueCommand.HoldHandoffs.class,
            VenueCommand.ReleaseHandoffs.class, CommandLine.HelpCommand.class},
        commandListHeading = "%nCommands:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:failed: the table or topic could not be reached or written (an import resumes when run again)",
            "2:bad input: an option, a file or a line that does not validate (named with its JSON path)",
            "130:interrupted (Ctrl-C); 143 terminated"},
        footerHeading = "%nTargets (every command takes one):%n",
        footer = {
            "  --local STATE_DIR   the stack of `infra/local/serve.sh --state-dir STATE_DIR` (its endpoints.env)",
            "  --aws --table NAME [--region R] [--operations-topic ARN] [--holdings-shards N]",
            "                      a deployed stack, with the default AWS credential chain; NAME and ARN are",
            "                      the stack outputs MarginTableName and OperationsTopicArn",
            "",
            "Examples:",
            "  infra/local/venue.sh load scenarios/sample-crash.json --local target/serve",
            "  infra/local/venue.sh import accounts.jsonl --local target/serve --threads 8",
            "  infra/local/venue.sh hold-handoffs --reason 'oracle incident' --local target/serve"})
public final class VenueCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;
    static final int INTERRUPTED = 130;

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicBoolean SIGNALLED = new AtomicBoolean();
    static final Set<String> VENUE_FILE_FIELDS = Set.of("venue", "instruments", "collateralAssets", "accounts", "events");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    final PrintStream out;
    final PrintStream err;
    final boolean stderrTty;
    final boolean ownsLogging;

    VenueCommand(PrintStream out, PrintStream err, boolean stderrTty, boolean ownsLogging) {
        this.out = out;
        this.err = err;
        this.stderrTty = stderrTty;
        this.ownsLogging = ownsLogging;
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        if (System.getProperty("http.maxConnections") == null) {
            // The URL-connection HTTP client keeps 5 idle connections per host by default: more
            // import threads than that would open and close a connection per request.
            System.setProperty("http.maxConnections", "256");
        }
        installSignalHandlers();
        int code = run(args, System.out, System.err, true);
        System.exit(code); // SDK clients leave non-daemon threads behind
    }

    /** Parses, runs and maps the outcome to an exit code; never calls System.exit. */
    public static int run(String[] args, PrintStream out, PrintStream err, boolean ownsLogging) {
        VenueCommand top = new VenueCommand(out, err, ReplayMain.Terminal.stderr(), ownsLogging);
        CommandLine cli = new CommandLine(top);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setColorScheme(CommandLine.Help.defaultColorScheme(ReplayMain.Terminal.colours(ReplayMain.Terminal.stdout())
                ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF));
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter w = e.getCommandLine().getErr();
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            w.println(name + ": " + e.getMessage());
            w.println("Try '" + name + " --help' for the options and exit codes.");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, c, parsed) -> top.failed(e, c));
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        err.println("venue.sh: which command? load, import, hold-handoffs or release-handoffs");
        err.println("Try 'venue.sh --help'.");
        return BAD_INPUT;
    }

    private int failed(Exception e, CommandLine c) {
        String name = c.getCommandSpec().qualifiedName();
        if (SIGNALLED.get()) {
            return INTERRUPTED;
        }
        if (e instanceof BadInput || e instanceof InvalidInputException) {
            err.println(name + ": " + e.getMessage());
            return BAD_INPUT;
        }
        err.println(name + ": failed: " + e.getMessage());
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && !String.valueOf(e.getMessage()).contains(t.getMessage())) {
                err.println("  caused by " + t.getClass().getSimpleName() + ": " + t.getMessage());
            }
        }
        return FAILED;
    }

    /** Refused before anything is written (exit 2). */
    static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }

    /** Could not reach or write the target (exit 1). */
    static final class Failure extends RuntimeException {
        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ---- targets ----------------------------------------------------------------------------

    /** Where the data goes: a running local stack, or a deployed stack's table and topic. */
    static final class Target {
        @Option(names = "--local", paramLabel = "STATE_DIR",
                description = "a local stack started by `infra/local/serve.sh --state-dir STATE_DIR` (reads its endpoints.env)")
        Path local;

        @Option(names = "--aws", description = "a deployed stack, with the default AWS credential chain (profile, environment, role)")
        boolean aws;

        @Option(names = "--table", paramLabel = "NAME", description = "with --aws: the stack output MarginTableName")
        String table;

        @Option(names = "--region", paramLabel = "R", description = "with --aws: the stack's region (default: the credential chain's)")
        String region;

        @Option(names = "--operations-topic", paramLabel = "ARN",
                description = "with --aws, for hold-handoffs / release-handoffs: the stack output OperationsTopicArn")
        String operationsTopic;

        @Option(names = "--holdings-shards", paramLabel = "N", defaultValue = "16",
                description = "with --aws: the stack's HoldingsShards parameter, default ${DEFAULT-VALUE}")
        int holdingsShards;

        @Option(names = "--band-shards", paramLabel = "N", defaultValue = "16",
                description = "with --aws: the stack's BandShards parameter, default ${DEFAULT-VALUE}")
        int bandShards;
    }

    /** The target's clients and names, resolved and checked. */
    record Connection(String describe, String stateKey, DynamoDbClient ddb, SnsClient sns, String table,
                      String operationsTopic, String defaultVenue, int holdingsShards, int bandShards) implements AutoCloseable {
        EngineConfig config(String venueId) {
            return new ToolConfig(venueId, table, operationsTopic == null ? "" : operationsTopic, holdingsShards, bandShards);
        }

        @Override
        public void close() {
            ddb.close();
            if (sns != null) {
                sns.close();
            }
        }
    }

    static Connection connect(Target t, boolean needsTopic) {
        if ((t.local == null) == !t.aws) {
            throw new BadInput("give one target: --local STATE_DIR or --aws --table NAME");
        }
        if (t.holdingsShards < 1 || t.holdingsShards > 256) {
            throw new BadInput("--holdings-shards must be 1 to 256 (the stack's HoldingsShards), got " + t.holdingsShards);
        }
        if (t.bandShards < 1 || t.bandShards > 256) {
            throw new BadInput("--band-shards must be 1 to 256 (the stack's BandShards), got " + t.bandShards);
        }
        if (t.local != null) {
            if (t.table != null || t.region != null || t.operationsTopic != null) {
                throw new BadInput("--table, --region and --operations-topic go with --aws; --local reads them from " + t.local);
            }
            return local(t.local.toAbsolutePath().normalize());
        }
        if (t.table == null || t.table.isBlank()) {
            throw new BadInput("--aws needs --table NAME (the stack output MarginTableName)");
        }
        if (needsTopic && (t.operationsTopic == null || t.operationsTopic.isBlank())) {
            throw new BadInput("--aws needs --operations-topic ARN here (the stack output OperationsTopicArn): the switch alerts it");
        }
        DynamoDbClientBuilder ddb = DynamoDbClient.builder().httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(10)));
        SnsClientBuilder sns = SnsClient.builder().httpClient(UrlConnectionHttpClient.create());
        if (t.region != null) {
            ddb.region(Region.of(t.region));
            sns.region(Region.of(t.region));
        }
        String where = "table " + t.table + (t.region == null ? "" : " in " + t.region);
        try {
            return new Connection(where, "aws:" + (t.region == null ? "" : t.region) + ":" + t.table, ddb.build(),
                    needsTopic ? sns.build() : null, t.table, t.operationsTopic, null, t.holdingsShards, t.bandShards);
        } catch (SdkClientException e) {
            throw new Failure("cannot set up the AWS clients (region? credentials?): " + e.getMessage(), e);
        }
    }

    /** A state dir of serve.sh (endpoints.env, stack/resources.json) or of `infra/local/stack` (both in it). */
    static Connection local(Path dir) {
        Path envFile = dir.resolve("endpoints.env");
        Path resourcesFile = Files.exists(dir.resolve("resources.json")) ? dir.resolve("resources.json")
                : dir.resolve("stack/resources.json");
        if (!Files.isRegularFile(envFile) || !Files.isRegularFile(resourcesFile)) {
            throw new BadInput("no running local stack in " + dir + " (no endpoints.env and resources.json): start one with "
                    + "`infra/local/serve.sh --state-dir " + dir + "`");
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode resources;
        try {
            for (String line : Files.readAllLines(envFile)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            resources = JSON.readTree(resourcesFile.toFile()).path("resources");
        } catch (IOException e) {
            throw new BadInput("cannot read the local stack's files in " + dir + ": " + e.getMessage());
        }
        String ddbEndpoint = env.get("DYNAMODB_ENDPOINT");
        String table = resources.path("MarginTable").path("name").asText(null);
        if (ddbEndpoint == null || table == null) {
            throw new BadInput(dir + " holds no DYNAMODB_ENDPOINT or MarginTable: not a local stack's state dir");
        }
        Region region = Region.of(env.getOrDefault("AWS_REGION", "us-east-1"));
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(
                env.getOrDefault("AWS_ACCESS_KEY_ID", "test"), env.getOrDefault("AWS_SECRET_ACCESS_KEY", "test")));
        DynamoDbClient ddb = DynamoDbClient.builder().endpointOverride(URI.create(ddbEndpoint)).region(region)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        SnsClient sns = env.containsKey("SNS_ENDPOINT") ? SnsClient.builder().endpointOverride(URI.create(env.get("SNS_ENDPOINT")))
                .region(region).credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build() : null;
        String topic = env.getOrDefault("OPERATIONS_TOPIC_ARN", resources.path("OperationsTopic").path("arn").asText(null));
        return new Connection("the local stack in " + dir, "local:" + dir, ddb, sns, table, topic, env.get("VENUE_ID"), 16, LocalConfig.BAND_SHARDS);
    }

    /** Which venue: --venue, else the local stack's served venue. */
    static String venueOf(String option, Connection c) {
        String v = option != null ? option : c.defaultVenue();
        if (v == null) {
            throw new BadInput("which venue? give --venue ID" + (c.stateKey().startsWith("local:")
                    ? " (this state dir names none: it is not serve.sh's)" : ""));
        }
        return v;
    }

    /** A failure reaching the target, said plainly. */
    static RuntimeException unreachable(Connection c, SdkException e) {
        return new Failure("cannot reach " + c.describe() + ": " + e.getMessage(), e);
    }

    /** The deployment settings the adapters read, for one venue of the target. */
    record ToolConfig(String venueId, String table, String operationsTopicArn, int holdingsShards, int bandShards)
            implements EngineConfig {
        public String notificationsTopicArn() { return ""; }
        public String escalationStateMachineArn() { return ""; }
        public String eventBusName() { return "default"; }
        public String eventSource() { return "margincall.engine"; }
        public int sweepSegments() { return 4; }
        public long maxFutureSeconds() { return 5; }
        public long outboxClaimSeconds() { return 60; }
        public Optional<String> sfnEndpointOverride() { return Optional.empty(); }
        public Optional<String> eventbridgeEndpointOverride() { return Optional.empty(); }
        public String localRegion() { return "us-east-1"; }
        public int evaluationThreads() { return 8; }
        public int chunkSize() { return 500; }
        public Optional<String> workerQueueUrl() { return Optional.empty(); }
        public boolean triggerBands() { return true; }
    }

    static JsonNode readJson(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new BadInput(what + " " + file + " is not a readable file");
        }
        try {
            return STRICT.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInput(what + " " + file + " is not valid JSON (line " + e.getLocation().getLineNr() + "): "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInput("cannot read " + file + ": " + e.getMessage());
        }
    }

    // ---- load -------------------------------------------------------------------------------

    @Command(name = "load", sortOptions = false, usageHelpWidth = 100,
            description = {
                "Loads or updates a venue's configuration from a SPEC §7 file.",
                "Reads the `venue`, `instruments` and `collateralAssets` objects of VENUE.json (a whole scenario",
                "file will do: its accounts and events are ignored unless --with-accounts). Everything is validated first, strictly: a field the format does not define is",
                "refused naming its JSON path, and nothing is written. Idempotent: a configuration equal to the",
                "stored one writes nothing. An update keeps the hand-off switch as it is (hold-handoffs /",
                "release-handoffs set it, with their alert) and may add or change instruments and collateral",
                "assets, never drop one that accounts may hold."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:loaded, or unchanged", "1:failed (the table could not be reached or written)",
                "2:bad input: the file, an option, or an update that would drop an instrument or asset"})
    static final class Load implements Callable<Integer> {
        @ParentCommand
        VenueCommand top;

        @Parameters(index = "0", paramLabel = "VENUE.json", description = "a JSON file with `venue`, `instruments`, `collateralAssets`")
        Path file;

        @Option(names = "--with-accounts",
                description = "also create the file's `accounts` the venue does not have yet (as of event sequence 0: "
                        + "an account already stored is left as it is)")
        boolean withAccounts;

        @Option(names = "--venue", paramLabel = "ID", description = "refuse the file unless its venue.id is ID")
        String venue;

        @Mixin
        Target target;

        @Option(names = {"-v", "--verbose"}, description = "the engine's log at INFO on stderr")
        boolean verbose;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Override
        public Integer call() {
            top.logging(verbose);
            JsonNode root = readJson(file, "venue file");
            Catalog catalog;
            List<Account> accounts = new ArrayList<>();
            try {
                JsonFields.object(root, "$");
                JsonFields.onlyFields(root, "$", VENUE_FILE_FIELDS);
                catalog = CatalogJson.catalog(root, null);
                JsonNode arr = root.get("accounts");
                if (withAccounts && arr != null) {
                    JsonFields.array(root, "$", "accounts");
                    Map<String, Integer> seen = new TreeMap<>();
                    for (int i = 0; i < arr.size(); i++) {
                        String path = "$.accounts[" + i + "]";
                        Account a = CatalogJson.account(arr.get(i), path, catalog);
                        Integer first = seen.putIfAbsent(a.accountId(), i);
                        if (first != null) {
                            throw new InvalidInputException(path + ".accountId", a.accountId(), "appears twice");
                        }
                        SubAccount.of(catalog, a);
                        accounts.add(a);
                    }
                }
            } catch (InvalidInputException e) {
                throw new BadInput("bad venue file " + file + ": " + e.getMessage());
            }
            String id = catalog.venue().id();
            if (venue != null && !venue.equals(id)) {
                throw new BadInput("the file is venue " + id + ", not --venue " + venue);
            }
            try (Connection c = connect(target, false)) {
                if (c.defaultVenue() != null && !c.defaultVenue().equals(id)) {
                    top.err.println("note: the local stack serves venue " + c.defaultVenue() + "; this loads venue " + id
                            + " beside it (its handlers will not evaluate it)");
                }
                EngineConfig config = c.config(id);
                VenueStore venues = new VenueStore(c.ddb(), config);
                Catalog stored;
                try {
                    stored = venues.load(id).catalog();
                } catch (UnknownVenueException e) {
                    stored = null;
                } catch (SdkException e) {
                    throw unreachable(c, e);
                }
                ObjectNode venueJson = ((ObjectNode) root.get("venue")).deepCopy();
                String change;
                if (stored == null) {
                    change = "created: " + catalog.instrumentCount() + " instruments, " + catalog.collateralAssets().size()
                            + " collateral assets";
                } else {
                    change = difference(stored, catalog, venueJson);
                }
                try {
                    if (change != null) {
                        venues.putConfiguration(id, venueJson, root.get("instruments"), root.get("collateralAssets"));
                    }
                    top.out.println("venue " + id + " in " + c.describe() + ": " + (change == null ? "unchanged, nothing written" : change));
                    if (change != null && stored != null) {
                        // SPEC §10: bands computed under the old configuration may be too wide now
                        int reset = new AccountImport(venues, new DynamoDbAccountItems(c.ddb(), config),
                                new DynamoDbHoldingsIndex(c.ddb(), config), new DynamoDbBandIndex(c.ddb(), config))
                                .resetBands(id);
                        top.out.println("  trigger bands of " + reset + " accounts reset: the next tick of each instrument "
                                + "reads them");
                    }
                    if (!withAccounts && root.has("accounts") && root.get("accounts").size() > 0) {
                        top.out.println("  the file's " + root.get("accounts").size() + " accounts were not loaded "
                                + "(--with-accounts loads them; `import` loads a snapshot)");
                    }
                    if (withAccounts) {
                        AccountImport imports = new AccountImport(venues, new DynamoDbAccountItems(c.ddb(), config),
                                new DynamoDbHoldingsIndex(c.ddb(), config), new DynamoDbBandIndex(c.ddb(), config));
                        Map<ImportOutcome, Integer> counts = new TreeMap<>();
                        for (Account a : accounts) {
                            counts.merge(imports.importAccount(id, catalog, a, 0).outcome(), 1, Integer::sum);
                        }
                        top.out.println("  accounts: " + (accounts.isEmpty() ? "none in the file" : counts.entrySet().stream()
                                .map(e -> e.getKey().name().toLowerCase(Locale.ROOT).replace('_', '-') + " " + e.getValue())
                                .collect(Collectors.joining(", "))));
                    }
                } catch (SdkException e) {
                    throw unreachable(c, e);
                }
            }
            return OK;
        }

        /**
         * What an update changes, or null when nothing; refuses dropping an instrument or asset, and
         * a file that would flip the hand-off switch (the stored value is kept in {@code venueJson}).
         */
        private String difference(Catalog stored, Catalog next, ObjectNode venueJson) {
            boolean held = stored.venue().handoffsHeld();
            if (venueJson.has("handoffsHeld") && venueJson.get("handoffsHeld").asBoolean() != held) {
                throw new BadInput("bad venue file " + file + ": $.venue.handoffsHeld = " + venueJson.get("handoffsHeld")
                        + ": the stored venue has hand-offs " + (held ? "held" : "released")
                        + "; change it with hold-handoffs / release-handoffs, which alert the operations topic");
            }
            if (held) {
                venueJson.put("handoffsHeld", true);
            } else {
                venueJson.remove("handoffsHeld");
            }
            Map<String, String> was = new TreeMap<>();
            Map<String, String> now = new TreeMap<>();
            stored.instruments().forEach(i -> was.put(i.symbol(), canonical(i)));
            next.instruments().forEach(i -> now.put(i.symbol(), canonical(i)));
            Map<String, String> wasAssets = new TreeMap<>();
            Map<String, String> nowAssets = new TreeMap<>();
            stored.collateralAssets().forEach(a -> wasAssets.put(a.asset(), canonical(a)));
            next.collateralAssets().forEach(a -> nowAssets.put(a.asset(), canonical(a)));
            List<String> droppedI = was.keySet().stream().filter(k -> !now.containsKey(k)).toList();
            List<String> droppedA = wasAssets.keySet().stream().filter(k -> !nowAssets.containsKey(k)).toList();
            if (!droppedI.isEmpty() || !droppedA.isEmpty()) {
                throw new BadInput("bad venue file " + file + ": " + (droppedI.isEmpty() ? "" : "$.instruments lacks " + droppedI
                        + (droppedA.isEmpty() ? "" : " and ")) + (droppedA.isEmpty() ? "" : "$.collateralAssets lacks " + droppedA)
                        + ", which venue " + next.venue().id() + " has: accounts may hold them, so load never drops one");
            }
            List<String> parts = new ArrayList<>();
            if (!canonical(stored.venue()).equals(canonical(next.venue()))) {
                parts.add("venue policy changed");
            }
            String instruments = changes(was, now);
            if (instruments != null) {
                parts.add("instruments " + instruments);
            }
            String assets = changes(wasAssets, nowAssets);
            if (assets != null) {
                parts.add("collateral assets " + assets);
            }
            return parts.isEmpty() ? null : "updated: " + String.join("; ", parts);
        }

        private static String changes(Map<String, String> was, Map<String, String> now) {
            List<String> out = new ArrayList<>();
            now.forEach((k, v) -> {
                if (!was.containsKey(k)) {
                    out.add("+" + k);
                } else if (!was.get(k).equals(v)) {
                    out.add("changed " + k);
                }
            });
            return out.isEmpty() ? null : String.join(", ", out);
        }
    }

    /** A venue's policy as text, decimals without trailing zeros, the hand-off switch left out. */
    static String canonical(Venue v) {
        return String.join("|", d(v.thresholds().warning()), d(v.thresholds().marginCall()), d(v.thresholds().critical()),
                d(v.thresholds().liquidation()), d(v.hysteresis()), "" + v.gracePeriodSeconds(), "" + v.finalNoticeSeconds(),
                "" + v.reminderSeconds(), "" + v.stalePriceSeconds(), "" + v.maxPendingCreditSeconds(),
                "" + v.volatilityHalfLifeSeconds(), v.wickGuard() == null ? "-" : String.join(",", d(v.wickGuard().maxTickMove()),
                        d(v.wickGuard().maxMarkIndexDeviation()), "" + v.wickGuard().windowSeconds(), "" + v.wickGuard().holdSeconds()));
    }

    static String canonical(Instrument i) {
        StringBuilder s = new StringBuilder(i.symbol());
        for (int k = 0; k < i.tiers().size(); k++) {
            s.append('|').append(d(i.tiers().floor(k))).append(',').append(i.tiers().cap(k) == null ? "-" : d(i.tiers().cap(k)))
                    .append(',').append(d(i.tiers().rate(k)));
        }
        return s.toString();
    }

    static String canonical(CollateralAsset a) {
        return a.asset() + "|" + d(a.haircut()) + "|" + a.priceInstrument();
    }

    private static String d(BigDecimal v) {
        return v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
    }

    // ---- import -----------------------------------------------------------------------------

    @Command(name = "import", sortOptions = false, usageHelpWidth = 100,
            description = {
                "Imports an accounts snapshot (JSON Lines), idempotent and resumable.",
                "One account a line as in SPEC §7 plus the account's event `sequence` (SPEC §5.2) as of the",
                "snapshot, optionally its `pendingDeposits`; the schema is",
                "src/main/resources/schema/account-snapshot-v1.schema.json. Per account, one conditional write:",
                "  created        the venue had no such account (fresh margin state)",
                "  updated        the stored account reflects an older event: collateral, positions, warning",
                "                 and deposits in flight are replaced; levels, calls and outbox are kept",
                "  unchanged      stored at this very sequence already (a second import changes nothing)",
                "  skipped-newer  the stored account reflects a newer event: left untouched",
                "  refused        the line does not validate: listed with its line number and JSON path",
                "Nothing is evaluated on import: the next price event or the minute sweep does.",
                "Resumable: the line up to which all is done is kept in ACCOUNTS.jsonl.import-state (about once a",
                "second); running the same command again resumes after it, and a finished run removes it."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:every line imported (or found current)",
                "1:failed: some lines could not be written (run the same command again to resume)",
                "2:bad input: an option, an unknown venue, or refused lines (the others are imported)",
                "130:interrupted (Ctrl-C): run the same command again to resume"})
    static final class Import implements Callable<Integer> {
        @ParentCommand
        VenueCommand top;

        @Parameters(index = "0", paramLabel = "ACCOUNTS.jsonl", description = "one account-snapshot-v1 object a line")
        Path file;

        @Option(names = "--venue", paramLabel = "ID", description = "the venue (default with --local: the one serve.sh serves)")
        String venue;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "8",
                description = "parallel writers, default ${DEFAULT-VALUE}")
        int threads;

        @Option(names = "--from-line", paramLabel = "N", defaultValue = "0",
                description = "start at line N (1-based), ignoring the checkpoint")
        long fromLine;

        @Option(names = "--restart", description = "ignore and remove the checkpoint: start from line 1")
        boolean restart;

        @Option(names = "--state-file", paramLabel = "FILE", description = "the checkpoint, default ACCOUNTS.jsonl.import-state")
        Path stateFile;

        @Option(names = "--dry-run", description = "validate every line against the venue, write nothing")
        boolean dryRun;

        @Mixin
        Target target;

        @Option(names = {"-v", "--verbose"}, description = "the engine's log at INFO on stderr")
        boolean verbose;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Override
        public Integer call() throws Exception {
            top.logging(verbose);
            if (threads < 1 || threads > 256) {
                throw new BadInput("--threads must be 1 to 256, got " + threads);
            }
            if (fromLine < 0) {
                throw new BadInput("--from-line must be 1 or more, got " + fromLine);
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new BadInput("accounts file " + file + " is not a readable file");
            }
            Path state = stateFile != null ? stateFile : file.resolveSibling(file.getFileName() + ".import-state");
            try (Connection c = connect(target, false)) {
                String id = venueOf(venue, c);
                EngineConfig config = c.config(id);
                VenueStore venues = new VenueStore(c.ddb(), config);
                AccountImport imports = new AccountImport(venues, new DynamoDbAccountItems(c.ddb(), config),
                        new DynamoDbHoldingsIndex(c.ddb(), config), new DynamoDbBandIndex(c.ddb(), config));
                Catalog catalog;
                try {
                    catalog = imports.catalog(id);
                } catch (UnknownVenueException e) {
                    throw new BadInput("venue " + id + " is not loaded in " + c.describe() + ": run `venue.sh load` first");
                } catch (SdkException e) {
                    throw unreachable(c, e);
                }
                top.err.printf(Locale.ROOT, "%s %s into venue %s in %s with %d threads%n", dryRun ? "checking" : "importing",
                        file, id, c.describe(), threads);
                SnapshotImport run = new SnapshotImport(imports, id, catalog, file, state, c.stateKey(), threads, fromLine,
                        restart, dryRun, new Progress(top.err, top.stderrTty), top.err);
                SnapshotImport.Summary s = run.run();
                return report(s, id, c);
            }
        }

        private int report(SnapshotImport.Summary s, String id, Connection c) {
            PrintStream out = top.out;
            double rate = s.seconds() > 0 ? s.processed() / s.seconds() : 0;
            out.printf(Locale.ROOT, "%s %s, venue %s in %s: %d lines%s in %.1f s (%.0f lines/s, %d threads)%n",
                    s.dryRun() ? "checked" : "imported", file, id, c.describe(), s.totalLines(),
                    s.resumedAfter() > 0 ? " (resumed after line " + s.resumedAfter() + ")" : "", s.seconds(), rate, threads);
            if (s.dryRun()) {
                out.printf(Locale.ROOT, "  valid %d, refused %d (nothing written)%n", s.count(SnapshotImport.LineOutcome.VALID),
                        s.count(SnapshotImport.LineOutcome.REFUSED));
            } else {
                out.printf(Locale.ROOT, "  created %d, updated %d, unchanged %d, skipped-newer %d, refused %d%s%n",
                        s.count(SnapshotImport.LineOutcome.CREATED), s.count(SnapshotImport.LineOutcome.UPDATED),
                        s.count(SnapshotImport.LineOutcome.UNCHANGED), s.count(SnapshotImport.LineOutcome.SKIPPED_NEWER),
                        s.count(SnapshotImport.LineOutcome.REFUSED),
                        s.failed().isEmpty() ? "" : ", failed " + s.failed().size());
            }
            out.flush();
            for (SnapshotImport.Problem p : s.refused()) {
                top.err.println("refused line " + p.line() + ": " + p.message());
            }
            if (s.refusedBeyondList() > 0) {
                top.err.println("... and " + s.refusedBeyondList() + " more refused lines");
            }
            for (SnapshotImport.Problem p : s.failed()) {
                top.err.println("failed line " + p.line() + ": " + p.message());
            }
            if (!s.failed().isEmpty() || !s.complete()) {
                top.err.println("venue.sh import: not finished; run the same command again to resume");
                return FAILED;
            }
            return s.count(SnapshotImport.LineOutcome.REFUSED) > 0 ? BAD_INPUT : OK;
        }
    }

    /**
     * Import progress on stderr: on a terminal one line rewritten in place (at most ten times a
     * second); otherwise a plain line at every tenth of the file or every 10 s. No colour.
     */
    static final class Progress implements SnapshotImport.Progress {
        private final PrintStream err;
        private final boolean tty;
        private long lastPrint;
        private long lastTenth = -1;
        private int width;
        private boolean open;

        Progress(PrintStream err, boolean tty) {
            this.err = err;
            this.tty = tty;
        }

        @Override
        public synchronized void update(long done, long total, Map<SnapshotImport.LineOutcome, Long> counts, double seconds) {
            long now = System.nanoTime();
            long tenth = total == 0 ? 10 : done * 10 / total;
            String line = String.format(Locale.ROOT, "import: %d/%d lines (%d%%), created %d, updated %d, unchanged %d, "
                            + "skipped-newer %d, refused %d, %.0f s", done, total, total == 0 ? 100 : done * 100 / total,
                    counts.getOrDefault(SnapshotImport.LineOutcome.CREATED, 0L), counts.getOrDefault(SnapshotImport.LineOutcome.UPDATED, 0L),
                    counts.getOrDefault(SnapshotImport.LineOutcome.UNCHANGED, 0L),
                    counts.getOrDefault(SnapshotImport.LineOutcome.SKIPPED_NEWER, 0L),
                    counts.getOrDefault(SnapshotImport.LineOutcome.REFUSED, 0L), seconds);
            if (tty) {
                if (now - lastPrint >= 100_000_000L || done == total) {
                    err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                    err.flush();
                    width = line.length();
                    lastPrint = now;
                    open = true;
                }
            } else if (tenth > lastTenth || now - lastPrint >= 10_000_000_000L) {
                err.println(line);
                lastTenth = tenth;
                lastPrint = now;
            }
        }

        @Override
        public synchronized void finish() {
            if (open) {
                err.println();
                open = false;
            }
        }
    }

    // ---- the hand-off switch ----------------------------------------------------------------

    /** Holds or releases every hand-off of the venue (SPEC §3.5) and alerts the operations topic. */
    abstract static class Switch implements Callable<Integer> {
        @ParentCommand
        VenueCommand top;

        @Option(names = "--reason", paramLabel = "TEXT", required = true,
                description = "why, for the operators' alert (no personal data)")
        String reason;

        @Option(names = "--venue", paramLabel = "ID", description = "the venue (default with --local: the one serve.sh serves)")
        String venue;

        @Mixin
        Target target;

        @Option(names = {"-v", "--verbose"}, description = "the engine's log at INFO on stderr")
        boolean verbose;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        abstract boolean held();

        @Override
        public Integer call() {
            top.logging(verbose);
            if (reason.isBlank()) {
                throw new BadInput("--reason must say why (it goes to the operators' alert)");
            }
            try (Connection c = connect(target, true)) {
                String id = venueOf(venue, c);
                if (c.sns() == null || c.operationsTopic() == null) {
                    throw new BadInput(c.describe() + " names no operations topic");
                }
                EngineConfig config = c.config(id);
                VenueOperations ops = new VenueOperations(new VenueStore(c.ddb(), config), new OperationsAlerts(c.sns(), config),
                        Clock.systemUTC());
                String what = held() ? "held" : "released";
                boolean changed;
                try {
                    changed = ops.holdHandoffs(id, held(), reason.strip());
                } catch (UnknownVenueException e) {
                    throw new BadInput("venue " + id + " is not loaded in " + c.describe());
                } catch (DeliveryFailedException e) {
                    throw new Failure("hand-offs of venue " + id + " are " + what + ", but the alert to " + c.operationsTopic()
                            + " was not sent (" + e.getMessage() + "): tell the operators yourself", e);
                } catch (SdkException e) {
                    throw unreachable(c, e);
                }
                if (changed) {
                    top.out.println("hand-offs of venue " + id + " are " + what + " (" + c.describe() + "); "
                            + (held() ? "HANDOFFS_HELD" : "HANDOFFS_RELEASED") + " sent to " + c.operationsTopic());
                } else {
                    top.out.println("hand-offs of venue " + id + " were " + what + " already: nothing written, no alert");
                }
                return OK;
            }
        }
    }

    @Command(name = "hold-handoffs", sortOptions = false, usageHelpWidth = 100,
            description = {
                "Holds every liquidation hand-off of the venue (SPEC §3.5), alerting operations.",
                "For an oracle incident, say: levels and notices go on, but no LIQUIDATION_HANDOFF and no",
                "Liquidation Requested event leaves until release-handoffs. Alerts the operations topic (HANDOFFS_HELD with the reason);",
                "a venue already held is left as it is, without a second alert."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:held (or already held)", "1:failed (if the switch was set but the alert not sent, it says so)",
                "2:bad input (an option, an unknown venue)"})
    static final class HoldHandoffs extends Switch {
        @Override
        boolean held() {
            return true;
        }
    }

    @Command(name = "release-handoffs", sortOptions = false, usageHelpWidth = 100,
            description = {
                "Releases the venue's hand-offs (SPEC §3.5), alerting operations.",
                "The next evaluation of each held account decides normally (a ratio still at or below",
                "liquidation hands off then). Alerts the operations topic",
                "(HANDOFFS_RELEASED with the reason); a venue not held is left as it is, without an alert."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:released (or not held)", "1:failed (if the switch was set but the alert not sent, it says so)",
                "2:bad input (an option, an unknown venue)"})
    static final class ReleaseHandoffs extends Switch {
        @Override
        boolean held() {
            return false;
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private boolean logged;

    void logging(boolean verbose) {
        if (ownsLogging && !logged) {
            logged = true;
            ReplayMain.EngineLog.configure(err, verbose);
        }
    }

    /** SIGINT/SIGTERM: exit as the JVM would (130, 143); an import's shutdown hook writes its checkpoint. */
    @SuppressWarnings("removal")
    private static void installSignalHandlers() {
        for (String[] sig : new String[][]{{"INT", "130"}, {"TERM", "143"}}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig[0]), s -> {
                    if (SIGNALLED.compareAndSet(false, true)) {
                        System.err.println();
                        System.err.println("venue.sh: " + (sig[0].equals("INT") ? "interrupted" : "terminated"));
                    }
                    System.exit(Integer.parseInt(sig[1]));
                });
            } catch (IllegalArgumentException | LinkageError e) {
                // ignored by the parent, or unsupported here: the JVM's own handling applies
            }
        }
    }
}
