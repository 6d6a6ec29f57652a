package org.margincall.engine.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** The DynamoDB behaviours the engine builds on, against dynalite through the AWS SDK v2. */
class LocalDynamoDbTest {
    static LocalStack stack;
    static DynamoDbClient ddb;
    static String table;

    @BeforeAll
    static void up() {
        stack = LocalStack.shared();
        ddb = stack.dynamoDb();
        table = stack.resource("MarginTable", "name");
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    UpdateItemRequest versioned(String pk, long expected, String level) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":level", s(level));
        values.put(":next", n(expected + 1));
        String condition;
        if (expected == 0) {
            condition = "attribute_not_exists(version)";
        } else {
            condition = "version = :expected";
            values.put(":expected", n(expected));
        }
        return UpdateItemRequest.builder().tableName(table)
                .key(Map.of("pk", s(pk), "sk", s("ACCOUNT")))
                .updateExpression("SET #level = :level, version = :next")
                .conditionExpression(condition)
                .expressionAttributeNames(Map.of("#level", "level"))
                .expressionAttributeValues(values)
                .returnValues(ReturnValue.ALL_NEW).build();
    }

    @Test
    void aVersionedUpdateSucceedsThenFailsOnTheStaleVersion() {
        String pk = "A#test#" + UUID.randomUUID();
        assertThat(ddb.updateItem(versioned(pk, 0, "WARNING")).attributes().get("version").n()).isEqualTo("1");
        assertThat(ddb.updateItem(versioned(pk, 1, "MARGIN_CALL")).attributes().get("version").n()).isEqualTo("2");
        // A writer that read version 1 lost the race: refused, and the stored item is untouched.
        assertThatThrownBy(() -> ddb.updateItem(versioned(pk, 1, "HEALTHY")))
                .isInstanceOf(ConditionalCheckFailedException.class);
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(table).key(Map.of("pk", s(pk), "sk", s("ACCOUNT"))))
                .item();
        assertThat(item.get("level").s()).isEqualTo("MARGIN_CALL");
        assertThat(item.get("version").n()).isEqualTo("2");
    }

    @Test
    void theHoldingsIndexPagesThroughMoreThanOnePage() {
        String instrument = "PAGE-" + UUID.randomUUID();
        int holders = 25;
        for (int i = 0; i < holders; i++) {
            String account = String.format("acct-%03d", i);
            ddb.putItem(b -> b.tableName(table).item(Map.of(
                    "pk", s("A#test#" + account), "sk", s("H#" + instrument),
                    "hpk", s("H#test#" + instrument + "#0"), "hsk", s(account))));
        }
        List<String> seen = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        int pages = 0;
        do {
            QueryRequest.Builder q = QueryRequest.builder().tableName(table).indexName("holdings")
                    .keyConditionExpression("hpk = :h").expressionAttributeValues(Map.of(":h", s("H#test#" + instrument + "#0")))
                    .limit(10);
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse r = ddb.query(q.build());
            r.items().forEach(it -> seen.add(it.get("hsk").s()));
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
            pages++;
        } while (start != null);
        assertThat(pages).isGreaterThan(1);
        assertThat(seen).hasSize(holders).doesNotHaveDuplicates().isSorted();
    }
}
