package org.margincall.engine.service.port;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * SNS's size limits (SPEC §10): a message, attributes included, and a whole PublishBatch request
 * may each carry at most 256 KiB; a batch at most 10 entries.
 */
public final class SnsLimits {
    /** Bytes a message (body plus attribute names, types and values) and a batch may carry. */
    public static final int MAX_BYTES = 256 * 1024;
    /** Entries a PublishBatch may carry. */
    public static final int MAX_ENTRIES = 10;
    /** What the four message attributes (venueId, accountId, type, level) may take; ids are ≤ 128 chars. */
    public static final int ATTRIBUTE_ALLOWANCE = 1024;
    /** The largest body the engine sends: room left for the attributes. */
    public static final int MAX_BODY_BYTES = MAX_BYTES - ATTRIBUTE_ALLOWANCE;

    private SnsLimits() {
    }

    /** UTF-8 size of a string, in bytes. */
    public static int bytes(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Splits entries, in order, into batches of at most {@link #MAX_ENTRIES} entries and
     * {@link #MAX_BYTES} bytes.
     *
     * @param size an entry's size in bytes as SNS counts it (body and attributes)
     */
    public static <T> List<List<T>> batches(List<T> entries, ToIntFunction<T> size) {
        List<List<T>> out = new ArrayList<>();
        List<T> current = new ArrayList<>();
        long bytes = 0;
        for (T e : entries) {
            int n = size.applyAsInt(e);
            if (!current.isEmpty() && (current.size() == MAX_ENTRIES || bytes + n > MAX_BYTES)) {
                out.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(e);
            bytes += n;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }
}
