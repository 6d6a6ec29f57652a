package org.margincall.engine.domain.archfixture;

/** Breaks a house rule on purpose, so {@code ArchitectureTest} can show the rule failing. Never used. */
public final class DomainLeak {
    software.amazon.awssdk.services.dynamodb.DynamoDbClient client;
}
