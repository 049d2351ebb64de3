package io.metalcast.engine.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads an {@code Authorization: OAuth ...} header (PLAINTEXT, as MAAS clients and curtin send it). {@code nonce} and
 * {@code timestamp} are null when absent.
 */
record OAuth(String consumerKey, String token, String signature, String nonce, String timestamp) {

    /** The credentials in the header, or empty when the header is absent, not OAuth, or lacks a field. */
    static Optional<OAuth> parse(String header) {
        if (header == null || header.length() > 4096) {
            return Optional.empty();
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "OAuth ", 0, 6)) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String part : h.substring(6).split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = p.substring(0, eq).trim();
            String value = p.substring(eq + 1).trim();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            try {
                params.put(key, URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        String method = params.get("oauth_signature_method");
        String consumer = params.get("oauth_consumer_key");
        String token = params.get("oauth_token");
        String signature = params.get("oauth_signature");
        if (!"PLAINTEXT".equals(method) || consumer == null || token == null || signature == null) {
            return Optional.empty();
        }
        return Optional.of(new OAuth(consumer, token, signature, params.get("oauth_nonce"), params.get("oauth_timestamp")));
    }

    /** The parameters {@link io.metalcast.engine.auth.ApiKeys#authenticate} checks. */
    io.metalcast.engine.auth.ApiKeys.Signed signed() {
        return new io.metalcast.engine.auth.ApiKeys.Signed(consumerKey, token, signature, nonce, timestamp);
    }

    @Override
    public String toString() {
        return "OAuth[consumerKey=" + consumerKey + ", token=" + token + ", signature=***, nonce=" + nonce + ", timestamp=" + timestamp + "]";
    }
}
