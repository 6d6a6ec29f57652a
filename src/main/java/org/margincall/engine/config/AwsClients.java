package org.margincall.engine.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClientBuilder;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.SfnClientBuilder;

/**
 * Clients for the services without a Quarkus extension here (Step Functions, EventBridge). In
 * Lambda they take region and credentials from the environment; with an endpoint override they
 * talk to the local stand-ins with dummy credentials.
 */
@ApplicationScoped
public class AwsClients {
    @Produces
    @ApplicationScoped
    SfnClient sfn(EngineConfig config) {
        SfnClientBuilder b = SfnClient.builder().httpClient(UrlConnectionHttpClient.create());
        config.sfnEndpointOverride().ifPresent(url -> b.endpointOverride(URI.create(url))
                .region(Region.of(config.localRegion()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))));
        return b.build();
    }

    void close(@Disposes SfnClient client) {
        client.close();
    }

    @Produces
    @ApplicationScoped
    EventBridgeClient eventBridge(EngineConfig config) {
        EventBridgeClientBuilder b = EventBridgeClient.builder().httpClient(UrlConnectionHttpClient.create());
        config.eventbridgeEndpointOverride().ifPresent(url -> b.endpointOverride(URI.create(url))
                .region(Region.of(config.localRegion()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))));
        return b.build();
    }

    void close(@Disposes EventBridgeClient client) {
        client.close();
    }
}
