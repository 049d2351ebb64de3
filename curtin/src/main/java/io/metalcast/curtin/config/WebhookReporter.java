package io.metalcast.curtin.config;

import java.util.Objects;

/** {@code reporting.<name>} of type webhook, with MAAS's OAuth PLAINTEXT credentials. */
public record WebhookReporter(String endpoint, String consumerKey, String tokenKey, String tokenSecret) {
    public WebhookReporter {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(consumerKey, "consumerKey");
        Objects.requireNonNull(tokenKey, "tokenKey");
        Objects.requireNonNull(tokenSecret, "tokenSecret");
    }

    @Override
    public String toString() {
        return "WebhookReporter[endpoint=" + endpoint + ", consumerKey=" + consumerKey + ", tokenKey=" + tokenKey + ", tokenSecret=***]";
    }
}
