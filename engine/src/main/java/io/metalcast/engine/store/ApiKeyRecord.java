package io.metalcast.engine.store;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code api_key}. */
public record ApiKeyRecord(String consumerKey, String tokenKey, String tokenSecret, String username, Instant created) {
    public ApiKeyRecord {
        Objects.requireNonNull(consumerKey, "consumerKey");
        Objects.requireNonNull(tokenKey, "tokenKey");
        Objects.requireNonNull(tokenSecret, "tokenSecret");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(created, "created");
    }

    @Override
    public String toString() {
        return "ApiKeyRecord[consumerKey=" + consumerKey + ", tokenKey=" + tokenKey + ", tokenSecret=***, username=" + username + "]";
    }
}
