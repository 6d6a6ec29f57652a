package org.margincall.engine.local;

import java.net.URI;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * SDK clients on the shared stand-ins, built as the engine's are (URL-connection client, static
 * credentials) with interceptors added and, optionally, the SDK's retries switched off.
 */
final class InterceptedClients {
    private InterceptedClients() {
    }

    static Consumer<ClientOverrideConfiguration.Builder> overrides(boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return c -> {
            for (ExecutionInterceptor i : interceptors) {
                c.addExecutionInterceptor(i);
            }
            if (!sdkRetries) {
                c.retryStrategy(AwsRetryStrategy.doNotRetry());
            }
        };
    }

    static DynamoDbClient dynamoDb(LocalStack s, boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return DynamoDbClient.builder().endpointOverride(URI.create(s.endpoint("DYNAMODB_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides(sdkRetries, interceptors)).build();
    }

    static SnsClient sns(LocalStack s, boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return SnsClient.builder().endpointOverride(URI.create(s.endpoint("SNS_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides(sdkRetries, interceptors)).build();
    }

    static SqsClient sqs(LocalStack s, boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return SqsClient.builder().endpointOverride(URI.create(s.endpoint("SQS_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides(sdkRetries, interceptors)).build();
    }

    static SfnClient sfn(LocalStack s, boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return SfnClient.builder().endpointOverride(URI.create(s.endpoint("SFN_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides(sdkRetries, interceptors)).build();
    }

    static EventBridgeClient events(LocalStack s, boolean sdkRetries, ExecutionInterceptor... interceptors) {
        return EventBridgeClient.builder().endpointOverride(URI.create(s.endpoint("EVENTS_ENDPOINT"))).region(Region.US_EAST_1)
                .credentialsProvider(LocalStack.credentials()).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides(sdkRetries, interceptors)).build();
    }
}
