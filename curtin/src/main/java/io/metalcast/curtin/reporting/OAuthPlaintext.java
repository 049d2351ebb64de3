package io.metalcast.curtin.reporting;

import io.metalcast.curtin.config.WebhookReporter;
import java.security.SecureRandom;
import java.util.Random;

/**
 * The {@code Authorization} header MAAS expects from curtin: OAuth 1.0 PLAINTEXT with an empty consumer secret, so the
 * signature is {@code &<token_secret>}, sent percent-encoded as {@code %26<token_secret>} like curtin (oauthlib) does.
 */
public final class OAuthPlaintext {
    private final Random random;

    public OAuthPlaintext(Random random) {
        this.random = random;
    }

    public OAuthPlaintext() {
        this(new SecureRandom());
    }

    /** True when the reporter carries all three OAuth fields (curtin signs only then). */
    public static boolean signs(WebhookReporter r) {
        return !r.consumerKey().isEmpty() && !r.tokenKey().isEmpty() && !r.tokenSecret().isEmpty();
    }

    /** The header value for one request made at {@code epochSeconds}; a fresh nonce every call. */
    public String header(WebhookReporter r, long epochSeconds) {
        String signature = "&" + encode(r.tokenSecret());
        StringBuilder nonce = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            nonce.append((char) ('0' + random.nextInt(10)));
        }
        return "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"" + encode(r.consumerKey())
                + "\", oauth_token=\"" + encode(r.tokenKey()) + "\", oauth_signature=\"" + encode(signature)
                + "\", oauth_nonce=\"" + nonce + "\", oauth_timestamp=\"" + epochSeconds + "\"";
    }

    /** RFC 3986 percent-encoding as OAuth 1.0 wants it: only unreserved characters stay. */
    static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }
}
