package org.margincall.engine.local.sdk;

import java.net.SocketException;
import java.net.SocketTimeoutException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeException;
import software.amazon.awssdk.services.eventbridge.model.InternalException;
import software.amazon.awssdk.services.eventbridge.model.ThrottlingException;
import software.amazon.awssdk.services.sfn.model.SfnException;
import software.amazon.awssdk.services.sns.model.InternalErrorException;
import software.amazon.awssdk.services.sns.model.SnsException;
import software.amazon.awssdk.services.sns.model.ThrottledException;

/**
 * The exceptions a caller of the SDK sees for each fault, as the SDK itself builds them from an
 * AWS error response: the modelled class where the service models the error (the class, error
 * code and HTTP status the generated client registers, e.g. SNS {@code Throttled} is
 * {@link ThrottledException} with 429), otherwise the service's base exception with AWS's common
 * error code ({@code ThrottlingException} 400, {@code InternalFailure} 500,
 * {@code ServiceUnavailable} 503). Status code and error code are what the SDK's retry policy
 * classifies on, so a retrying client treats these exactly as it treats real ones.
 */
final class AwsErrors {
    private AwsErrors() {
    }

    static RuntimeException of(String service, FaultInjector.Kind kind, long hash) {
        String requestId = "fault-" + Long.toHexString(hash);
        return switch (kind) {
            case CONNECTION_RESET -> SdkClientException.builder().message("Unable to execute HTTP request: Connection reset")
                    .cause(new SocketException("Connection reset")).build();
            case TIMEOUT_AFTER_APPLY -> SdkClientException.builder().message("Unable to execute HTTP request: Read timed out")
                    .cause(new SocketTimeoutException("Read timed out")).build();
            case THROTTLING, HTTP_500, HTTP_503 -> serviceError(service, kind, requestId);
            case PARTIAL_BATCH -> throw new IllegalArgumentException("a partial batch failure is a response, not an exception");
        };
    }

    private static AwsServiceException serviceError(String service, FaultInjector.Kind kind, String requestId) {
        AwsServiceException.Builder b;
        int status;
        String code;
        String message;
        switch (service + ":" + kind) {
            case "DynamoDb:THROTTLING" -> {
                b = ProvisionedThroughputExceededException.builder();
                status = 400;
                code = "ProvisionedThroughputExceededException";
                message = "The level of configured provisioned throughput for the table was exceeded. "
                        + "Consider increasing your provisioning level with the UpdateTable API.";
            }
            case "DynamoDb:HTTP_500" -> {
                b = InternalServerErrorException.builder();
                status = 500;
                code = "InternalServerError";
                message = "Internal server error";
            }
            case "Sns:THROTTLING" -> {
                b = ThrottledException.builder();
                status = 429;
                code = "Throttled";
                message = "Rate exceeded";
            }
            case "Sns:HTTP_500" -> {
                b = InternalErrorException.builder();
                status = 500;
                code = "InternalError";
                message = "Internal Error";
            }
            case "EventBridge:THROTTLING" -> {
                b = ThrottlingException.builder();
                status = 400;
                code = "ThrottlingException";
                message = "Rate exceeded.";
            }
            case "EventBridge:HTTP_500" -> {
                b = InternalException.builder();
                status = 500;
                code = "InternalException";
                message = "Internal error.";
            }
            default -> {
                b = base(service);
                switch (kind) {
                    case THROTTLING -> {
                        status = 400;
                        code = "ThrottlingException";
                        message = "Rate exceeded";
                    }
                    case HTTP_500 -> {
                        status = 500;
                        code = "InternalFailure";
                        message = "The request processing has failed because of an unknown error, exception or failure.";
                    }
                    default -> {
                        status = 503;
                        code = "ServiceUnavailable";
                        message = "Service Unavailable";
                    }
                }
            }
        }
        return b.message(message).statusCode(status).requestId(requestId)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName(service)
                        .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).putHeader("x-amzn-RequestId", requestId).build())
                        .build())
                .build();
    }

    private static AwsServiceException.Builder base(String service) {
        return switch (service) {
            case "DynamoDb" -> DynamoDbException.builder();
            case "Sns" -> SnsException.builder();
            case "Sfn" -> SfnException.builder();
            case "EventBridge" -> EventBridgeException.builder();
            default -> AwsServiceException.builder();
        };
    }
}
