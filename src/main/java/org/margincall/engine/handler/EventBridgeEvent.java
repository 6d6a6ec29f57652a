package org.margincall.engine.handler;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The EventBridge envelope Lambda receives. {@code detail-type} needs its own property name
 * (the SDK's ScheduledEvent class drops it); {@code detail} stays raw JSON so that each handler
 * validates it field by field.
 */
@RegisterForReflection
@JsonIgnoreProperties(ignoreUnknown = true)
public record EventBridgeEvent(String id, @JsonProperty("detail-type") String detailType, String source,
                               String time, String account, String region, JsonNode detail) {
}
