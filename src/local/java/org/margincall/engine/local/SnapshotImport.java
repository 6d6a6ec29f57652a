package org.margincall.engine.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.margincall.engine.domain.Catalog;
import org.margincall.engine.domain.InvalidInputException;
import org.margincall.engine.scenario.AccountSnapshot;
import org.margincall.engine.service.AccountImport;
import org.margincall.engine.service.port.AccountItems.ImportOutcome;

/**
 * Imports an accounts snapshot (JSON Lines, one {@code account-snapshot-v1} object a line) into a
 * venue: lines are read and validated in order on the calling thread, and written by
 * {@code threads} workers through {@link AccountImport} (one conditional write per account, then
 * its holdings rows), so the import is idempotent whatever order lines land in.
 *
 * <p>Resumable: the highest line up to which every line is done (written, found current or
 * refused) is checkpointed in a small state file beside the input (at most once a second, and
 * when the run stops on a signal or a failure). Running the same command again resumes after it;
 * lines in flight when the run stopped are simply done again, which changes nothing. A run that
 * reaches the end removes the state file.
 */
final class SnapshotImport {
    /** Strict JSON text: a key given twice or anything after the object is refused. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Refusals kept (and listed) in full; the rest are counted. */
    static final int REFUSALS_KEPT = 1000;
    /** Lines whose write failed (after the SDK's retries) before the run gives up. */
    static final int FAILURES_TOLERATED = 10;

    /**
     * What one line came to; VALID is a dry run's good line, REFUSED bad input, FAILED an error
     * writing it (running again retries it).
     */
    enum LineOutcome { CREATED, UPDATED, UNCHANGED, SKIPPED_NEWER, VALID, REFUSED, FAILED }

    /** One refused or failed line: its number and why. */
    record Problem(long line, String message) {
    }

    /**
     * Totals of a run: {@code counts} over every line done (resumed ones included), {@code resumedAfter}
     * the line an earlier run had reached (0 if none), {@code processed} lines this run wrote or refused.
     */
    record Summary(long totalLines, long resumedAfter, long processed, Map<LineOutcome, Long> counts, List<Problem> refused,
                   List<Problem> failed, long refusedBeyondList, double seconds, boolean dryRun, boolean complete) {
        long count(LineOutcome o) {
            return counts.getOrDefault(o, 0L);
        }
    }

    /** Told of progress, at most a few times a second. */
    interface Progress {
        void update(long linesDone, long totalLines, Map<LineOutcome, Long> counts, double seconds);

        void finish();
    }

    private final AccountImport service;
    private final String venueId;
    private final Catalog catalog;
    private final Path file;
    private final Path stateFile;
    private final String target;
    private final int threads;
    private final long fromLine;
    private final boolean restart;
    private final boolean dryRun;
    private final Progress progress;
    private final PrintStream notes;

    private final Watermark mark = new Watermark();
    private final AtomicBoolean checkpointing = new AtomicBoolean(true);
    private volatile long startedAt;

    SnapshotImport(AccountImport service, String venueId, Catalog catalog, Path file, Path stateFile, String target,
                   int threads, long fromLine, boolean restart, boolean dryRun, Progress progress, PrintStream notes) {
        this.service = service;
        this.venueId = venueId;
        this.catalog = catalog;
        this.file = file;
        this.stateFile = stateFile;
        this.target = target;
        this.threads = threads;
        this.fromLine = fromLine;
        this.restart = restart;
        this.dryRun = dryRun;
        this.progress = progress;
        this.notes = notes;
    }

    Summary run() throws IOException, InterruptedException {
        startedAt = System.nanoTime();
        long total = countLines(file);
        long skipTo = resumePoint(total);
        Thread hook = new Thread(this::checkpointOnExit, "import-checkpoint");
        if (!dryRun) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        ExecutorService writers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "import-writer");
            t.setDaemon(true);
            return t;
        });
        Semaphore inFlight = new Semaphore(threads * 4);
        AtomicInteger failures = new AtomicInteger();
        Map<String, Long> firstLineOf = new HashMap<>();
        long lastReport = 0;
        long lastCheckpoint = System.nanoTime();
        long processed = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long n = 0;
            for (String text; (text = in.readLine()) != null; ) {
                n++;
                if (n <= skipTo) {
                    rememberId(text, n, firstLineOf);
                    continue;
                }
                if (failures.get() >= FAILURES_TOLERATED) {
                    break;
                }
                processed++;
                long line = n;
                if (text.isBlank()) {
                    mark.done(line, null, null);
                } else {
                    AccountSnapshot snap;
                    try {
                        snap = parse(text, line, firstLineOf);
                    } catch (InvalidInputException e) {
                        mark.done(line, LineOutcome.REFUSED, e.getMessage());
                        snap = null;
                    }
                    if (snap != null && dryRun) {
                        mark.done(line, LineOutcome.VALID, null);
                    } else if (snap != null) {
                        AccountSnapshot s = snap;
                        inFlight.acquire();
                        writers.execute(() -> {
                            try {
                                ImportOutcome o = service.importAccount(venueId, catalog, s.account(), s.sequence()).outcome();
                                mark.done(line, LineOutcome.valueOf(o.name()), null);
                            } catch (InvalidInputException e) {
                                mark.done(line, LineOutcome.REFUSED, e.getMessage());
                            } catch (RuntimeException e) {
                                failures.incrementAndGet();
                                mark.failed(line, e.getClass().getSimpleName() + ": " + e.getMessage());
                            } finally {
                                inFlight.release();
                            }
                        });
                    }
                }
                long now = System.nanoTime();
                if (now - lastReport > 100_000_000L) {
                    progress.update(mark.contiguous(), total, mark.counts(), (now - startedAt) / 1e9);
                    lastReport = now;
                }
                if (!dryRun && now - lastCheckpoint > 1_000_000_000L) {
                    checkpoint();
                    lastCheckpoint = now;
                }
            }
        } catch (IOException e) {
            writers.shutdownNow();
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        writers.shutdown();
        while (!writers.awaitTermination(1, TimeUnit.SECONDS)) {
            progress.update(mark.contiguous(), total, mark.counts(), (System.nanoTime() - startedAt) / 1e9);
        }
        progress.update(mark.contiguous(), total, mark.counts(), (System.nanoTime() - startedAt) / 1e9);
        progress.finish();
        boolean complete = mark.failedLines().isEmpty() && failures.get() == 0 && mark.contiguous() >= total;
        checkpointing.set(false);
        if (!dryRun) {
            if (complete) {
                Files.deleteIfExists(stateFile);
            } else {
                writeState();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook finds checkpointing off and writes nothing
            }
        }
        return new Summary(total, skipTo, processed, mark.allCounts(), mark.refusals(), mark.failedLines(),
                mark.refusalsNotKept(), (System.nanoTime() - startedAt) / 1e9, dryRun, complete);
    }

    /** Parses one line, refusing an account already given on an earlier line. */
    private AccountSnapshot parse(String text, long line, Map<String, Long> firstLineOf) {
        JsonNode node;
        try {
            node = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("$", shorten(text), "is not valid JSON (column " + e.getLocation().getColumnNr()
                    + "): " + e.getOriginalMessage());
        }
        AccountSnapshot s = AccountSnapshot.parse(node, catalog);
        Long first = firstLineOf.putIfAbsent(s.account().accountId(), line);
        if (first != null) {
            throw new InvalidInputException("$.accountId", s.account().accountId(),
                    "appears again: line " + first + " has this account already (one line per account)");
        }
        return s;
    }

    /** A line done by an earlier run: only its account id matters (for the once-per-file rule). */
    private static void rememberId(String text, long line, Map<String, Long> firstLineOf) {
        try {
            JsonNode id = JSON.readTree(text).path("accountId");
            if (id.isTextual()) {
                firstLineOf.putIfAbsent(id.textValue(), line);
            }
        } catch (JsonProcessingException | RuntimeException e) {
            // refused by the earlier run already
        }
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    static long countLines(Path file) throws IOException {
        long n = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            while (in.readLine() != null) {
                n++;
            }
        }
        return n;
    }

    // ---- the checkpoint ---------------------------------------------------------------------

    /**
     * Where this run starts: {@code --from-line}, else after the line the state file records if it
     * was written for this very file (size and modification time), target and venue.
     */
    private long resumePoint(long total) throws IOException {
        if (restart) {
            Files.deleteIfExists(stateFile);
        }
        if (fromLine > 0) {
            return fromLine - 1;
        }
        if (dryRun || !Files.exists(stateFile)) {
            return 0;
        }
        JsonNode s;
        try {
            s = JSON.readTree(stateFile.toFile());
        } catch (IOException e) {
            notes.println("note: " + stateFile + " is unreadable (" + e.getMessage() + "); starting from line 1");
            return 0;
        }
        String why = null;
        if (s.path("size").asLong(-1) != Files.size(file) || s.path("modified").asLong(-1) != Files.getLastModifiedTime(file).toMillis()) {
            why = "it was written for another version of the file";
        } else if (!target.equals(s.path("target").asText()) || !venueId.equals(s.path("venue").asText())) {
            why = "it was written for " + s.path("venue").asText() + " in " + s.path("target").asText();
        }
        if (why != null) {
            notes.println("note: ignoring " + stateFile + ": " + why + "; starting from line 1");
            return 0;
        }
        long done = Math.min(s.path("done").asLong(0), total);
        Map<LineOutcome, Long> counts = new EnumMap<>(LineOutcome.class);
        s.path("counts").properties().forEach(e -> counts.put(LineOutcome.valueOf(e.getKey()), e.getValue().asLong()));
        List<Problem> refused = new ArrayList<>();
        s.path("refused").forEach(r -> refused.add(new Problem(r.path("line").asLong(), r.path("message").asText())));
        mark.resume(done, counts, refused, s.path("refusedNotKept").asLong(0));
        notes.printf(Locale.ROOT, "resuming after line %d of %d (checkpoint %s; --restart starts over)%n", done, total, stateFile);
        return done;
    }

    private void checkpoint() {
        if (checkpointing.get()) {
            writeState();
        }
    }

    /** The shutdown hook of a run stopped by a signal: the last contiguous line, nothing in flight. */
    private void checkpointOnExit() {
        if (checkpointing.compareAndSet(true, false)) {
            long done = writeState();
            System.err.println();
            System.err.println("stopped after line " + done + "; the same command resumes there (" + stateFile + ")");
        }
    }

    /** Writes the watermark and the counts up to it; returns the line written. */
    private synchronized long writeState() {
        Watermark.Snapshot w = mark.checkpoint();
        long done = w.done();
        try {
            ObjectNode s = JSON.createObjectNode();
            s.put("file", file.toAbsolutePath().toString());
            s.put("size", Files.size(file));
            s.put("modified", Files.getLastModifiedTime(file).toMillis());
            s.put("target", target);
            s.put("venue", venueId);
            s.put("done", done);
            ObjectNode c = s.putObject("counts");
            w.counts().forEach((k, v) -> c.put(k.name(), v));
            ArrayNode r = s.putArray("refused");
            w.refused().forEach(p -> r.addObject().put("line", p.line()).put("message", p.message()));
            s.put("refusedNotKept", w.refusedNotKept());
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            notes.println("note: cannot write the checkpoint " + stateFile + ": " + e.getMessage());
        }
        return done;
    }

    /**
     * Which lines are done: everything up to {@code contiguous}, plus those ahead of it. Counts and
     * refusals are kept per line until the watermark passes them, so a checkpoint records exactly
     * the lines up to it, and a resumed run counts every line once.
     */
    static final class Watermark {
        record Snapshot(long done, Map<LineOutcome, Long> counts, List<Problem> refused, long refusedNotKept) {
        }

        private record Done(LineOutcome outcome, String message) {
        }

        private long contiguous;
        private final TreeMap<Long, Done> ahead = new TreeMap<>();
        private final TreeMap<Long, String> failed = new TreeMap<>();
        private final Map<LineOutcome, Long> counts = new EnumMap<>(LineOutcome.class);
        private final List<Problem> refused = new ArrayList<>();
        private long refusedNotKept;

        synchronized void resume(long done, Map<LineOutcome, Long> c, List<Problem> r, long notKept) {
            contiguous = done;
            counts.putAll(c);
            refused.addAll(r);
            refusedNotKept = notKept;
        }

        /** A line done; {@code outcome} null for a blank line (or a dry run's valid one). */
        synchronized void done(long line, LineOutcome outcome, String message) {
            ahead.put(line, new Done(outcome, message));
            while (ahead.containsKey(contiguous + 1)) {
                Done d = ahead.remove(++contiguous);
                add(contiguous, d);
            }
        }

        synchronized void failed(long line, String message) {
            failed.put(line, message);
        }

        private void add(long line, Done d) {
            if (d.outcome() == null) {
                return;
            }
            counts.merge(d.outcome(), 1L, Long::sum);
            if (d.outcome() == LineOutcome.REFUSED) {
                if (refused.size() < REFUSALS_KEPT) {
                    refused.add(new Problem(line, d.message()));
                } else {
                    refusedNotKept++;
                }
            }
        }

        synchronized long contiguous() {
            return contiguous;
        }

        /** The watermark with the counts of the lines up to it (what a checkpoint records). */
        synchronized Snapshot checkpoint() {
            return new Snapshot(contiguous, new EnumMap<>(counts), List.copyOf(refused), refusedNotKept);
        }

        /** Counts of every line done, ahead of the watermark too (for progress and the summary). */
        synchronized Map<LineOutcome, Long> counts() {
            Map<LineOutcome, Long> all = new EnumMap<>(counts);
            ahead.values().forEach(d -> {
                if (d.outcome() != null) {
                    all.merge(d.outcome(), 1L, Long::sum);
                }
            });
            if (!failed.isEmpty()) {
                all.put(LineOutcome.FAILED, (long) failed.size());
            }
            return all;
        }

        synchronized Map<LineOutcome, Long> allCounts() {
            return counts();
        }

        synchronized List<Problem> refusals() {
            List<Problem> all = new ArrayList<>(refused);
            ahead.forEach((line, d) -> {
                if (d.outcome() == LineOutcome.REFUSED && all.size() < REFUSALS_KEPT) {
                    all.add(new Problem(line, d.message()));
                }
            });
            return all;
        }

        synchronized long refusalsNotKept() {
            return refusedNotKept;
        }

        synchronized List<Problem> failedLines() {
            List<Problem> out = new ArrayList<>();
            failed.forEach((line, m) -> out.add(new Problem(line, m)));
            return out;
        }
    }
}
