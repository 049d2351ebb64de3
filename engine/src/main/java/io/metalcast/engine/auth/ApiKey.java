package io.metalcast.engine.auth;

import java.util.Objects;

/** An API key as MAAS prints it: {@code consumer_key:token_key:token_secret} (the consumer secret is empty). */
public record ApiKey(String consumerKey, String tokenKey, String tokenSecret) {
    private static final String PART = "[A-Za-z0-9]{1,64}";

    public ApiKey {
        Objects.requireNonNull(consumerKey, "consumerKey");
        Objects.requireNonNull(tokenKey, "tokenKey");
        Objects.requireNonNull(tokenSecret, "tokenSecret");
        if (!consumerKey.matches(PART) || !tokenKey.matches(PART) || !tokenSecret.matches(PART)) {
            throw new IllegalArgumentException("api key: parts of 1..64 letters and digits (expected: consumer:token:secret)");
        }
    }

    /** Parses {@code consumer:token:secret}. */
    public static ApiKey parse(String text) {
        String[] p = text == null ? new String[0] : text.trim().split(":", -1);
        if (p.length != 3) {
            throw new IllegalArgumentException("api key: " + (p.length == 0 ? "empty" : p.length + " parts")
                    + " (expected: consumer_key:token_key:token_secret)");
        }
        return new ApiKey(p[0], p[1], p[2]);
    }

    /** The key as MAAS prints it and {@link #parse} reads it. */
    public String formatted() {
        return consumerKey + ":" + tokenKey + ":" + tokenSecret;
    }

    /**
     * The {@code Authorization} header value MAAS clients send: OAuth 1.0 PLAINTEXT, signature {@code &<token_secret>}
     * URL-encoded.
     */
    public String authorization(long timestamp, String nonce) {
        return "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"" + consumerKey
                + "\", oauth_token=\"" + tokenKey + "\", oauth_signature=\"%26" + tokenSecret + "\", oauth_nonce=\"" + nonce
                + "\", oauth_timestamp=\"" + timestamp + "\"";
    }

    @Override
    public String toString() {
        return "ApiKey[consumerKey=" + consumerKey + ", tokenKey=" + tokenKey + ", tokenSecret=***]";
    }
}
