package org.margincall.engine.local.sdk;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.sfn.model.StartExecutionRequest;
import software.amazon.awssdk.services.sns.model.PublishBatchRequest;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishRequest;

/**
 * A stable digest of what identifies a request, independent of wall clock, thread and JVM (no
 * identity hash codes, maps in sorted order): DynamoDB item operations by table and key, queries
 * and scans by their table, index, condition, values and start key, PublishBatch by topic and entry
 * ids, Publish by topic and message, StartExecution by state machine and execution name, PutEvents
 * by its entries' source, detail-type, bus and detail. Anything else by its SDK {@code toString()},
 * which lists its fields in model order.
 */
public final class RequestKeys {
    private RequestKeys() {
    }

    /** The canonical text of the request's identifying content. */
    public static String canonical(SdkRequest request, Set<String> keyAttributes) {
        if (request instanceof GetItemRequest r) {
            return r.tableName() + "|" + canonical(r.key());
        }
        if (request instanceof PutItemRequest r) {
            Map<String, AttributeValue> key = new TreeMap<>();
            r.item().forEach((k, v) -> {
                if (keyAttributes.contains(k)) {
                    key.put(k, v);
                }
            });
            return r.tableName() + "|" + canonical(key.isEmpty() ? r.item() : key);
        }
        if (request instanceof UpdateItemRequest r) {
            return r.tableName() + "|" + canonical(r.key());
        }
        if (request instanceof DeleteItemRequest r) {
            return r.tableName() + "|" + canonical(r.key());
        }
        if (request instanceof BatchGetItemRequest r) {
            StringBuilder b = new StringBuilder();
            new TreeMap<>(r.requestItems()).forEach((table, ka) -> b.append(table).append(canonicalKeys(ka)).append(';'));
            return b.toString();
        }
        if (request instanceof QueryRequest r) {
            return String.join("|", String.valueOf(r.tableName()), String.valueOf(r.indexName()),
                    String.valueOf(r.keyConditionExpression()), String.valueOf(r.filterExpression()),
                    canonical(r.expressionAttributeValues()), canonical(r.exclusiveStartKey()));
        }
        if (request instanceof ScanRequest r) {
            return String.join("|", String.valueOf(r.tableName()), String.valueOf(r.indexName()),
                    r.segment() + "/" + r.totalSegments(), String.valueOf(r.filterExpression()),
                    canonical(r.expressionAttributeValues()), canonical(r.exclusiveStartKey()));
        }
        if (request instanceof PublishBatchRequest r) {
            List<String> ids = new ArrayList<>();
            for (PublishBatchRequestEntry e : r.publishBatchRequestEntries()) {
                ids.add(e.id());
            }
            return r.topicArn() + "|" + String.join(",", ids);
        }
        if (request instanceof PublishRequest r) {
            return r.topicArn() + "|" + String.valueOf(r.targetArn()) + "|" + digest(String.valueOf(r.message()));
        }
        if (request instanceof StartExecutionRequest r) {
            return r.stateMachineArn() + "|" + r.name();
        }
        if (request instanceof PutEventsRequest r) {
            StringBuilder b = new StringBuilder();
            for (PutEventsRequestEntry e : r.entries()) {
                b.append(digest(e.source() + "\u0000" + e.detailType() + "\u0000" + e.eventBusName() + "\u0000" + e.detail()))
                        .append(',');
            }
            return b.toString();
        }
        return request.toString();
    }

    /** The request key: 16 hex digits of the SHA-256 of {@link #canonical}. */
    public static String of(SdkRequest request, Set<String> keyAttributes) {
        return digest(canonical(request, keyAttributes));
    }

    static String canonicalKeys(KeysAndAttributes ka) {
        List<String> keys = new ArrayList<>();
        for (Map<String, AttributeValue> k : ka.keys()) {
            keys.add(canonical(k));
        }
        keys.sort(null);
        return keys.toString();
    }

    static String canonical(Map<String, AttributeValue> map) {
        if (map == null || map.isEmpty()) {
            return "{}";
        }
        StringBuilder b = new StringBuilder("{");
        new TreeMap<>(map).forEach((k, v) -> b.append(k).append('=').append(canonical(v)).append(','));
        return b.append('}').toString();
    }

    static String canonical(AttributeValue v) {
        if (v.hasM()) {
            return "M" + canonical(v.m());
        }
        if (v.hasL()) {
            StringBuilder b = new StringBuilder("L[");
            v.l().forEach(e -> b.append(canonical(e)).append(','));
            return b.append(']').toString();
        }
        return v.toString();
    }

    static String digest(String text) {
        return HexFormat.of().formatHex(sha256(text), 0, 8);
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
