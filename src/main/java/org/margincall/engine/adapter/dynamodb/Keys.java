package org.margincall.engine.adapter.dynamodb;

/**
 * Item keys of the single margin table (docs/data-model.md). Ids never contain '#', which the
 * venue and account validation guarantees, so keys cannot collide.
 */
final class Keys {
    static final String PK = "pk";
    static final String SK = "sk";
    static final String HPK = "hpk";
    static final String HSK = "hsk";
    static final String HOLDINGS_INDEX = "holdings";
    static final String ACCOUNT_SK = "ACCOUNT";
    static final String VENUE_SK = "CONFIG";

    private Keys() {
    }

    static String venue(String venueId) {
        return "V#" + venueId;
    }

    static String instrumentSk(String symbol) {
        return "I#" + symbol;
    }

    static String assetSk(String asset) {
        return "C#" + asset;
    }

    static String priceSk(String symbol) {
        return "P#" + symbol;
    }

    static String account(String venueId, String accountId) {
        return "A#" + venueId + "#" + accountId;
    }

    static String holdingSk(String symbol) {
        return "H#" + symbol;
    }

    static String holdingsPartition(String venueId, String symbol, int shard) {
        return "H#" + venueId + "#" + symbol + "#" + shard;
    }

    /** Stable shard of an account within an instrument's holdings (not String.hashCode-dependent on JVM). */
    static int shard(String accountId, int shards) {
        int h = 0;
        for (int i = 0; i < accountId.length(); i++) {
            h = 31 * h + accountId.charAt(i);
        }
        return Math.floorMod(h, shards);
    }
}
