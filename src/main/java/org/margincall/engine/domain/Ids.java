package org.margincall.engine.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic identifiers (SPEC §3.3): hashes of the fields that define the thing, never of a
 * clock or a random number, so a retried or replayed evaluation yields the same ids and
 * subscribers can deduplicate. Fields are joined with a separator no id contains.
 */
public final class Ids {
    private static final char SEP = '\u001f';

    private Ids() {
    }

    public static String episodeId(String venueId, String subAccountId, Trigger openedBy) {
        return "e-" + digest(24, venueId, subAccountId, openedBy.key());
    }

    public static String callId(String episodeId, int callNumber) {
        return episodeId + "-" + callNumber;
    }

    public static String notificationId(String venueId, String subAccountId, String episodeId, int callNumber,
                                        NotificationType type, int step) {
        return "n-" + digest(32, venueId, subAccountId, episodeId, Integer.toString(callNumber), type.name(),
                Integer.toString(step));
    }

    /** Step Functions execution name for a call: at most 80 characters of [A-Za-z0-9-_]. */
    public static String executionName(String callId) {
        return callId;
    }

    private static String digest(int hexChars, String... parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append(p).append(SEP);
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, hexChars);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
