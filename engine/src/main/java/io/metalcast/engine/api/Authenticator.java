package io.metalcast.engine.api;

import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.error.Rejected;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which API requests need a key, and the check itself. Everything under {@code /MAAS/api/2.0/} needs a MAAS-signed
 * request (as in MAAS, reads included) except {@code describe/} and {@code version/}, which MAAS serves anonymously. The
 * status page, {@code /metrics}, the preseed (per-machine token in the path) and the curtin webhook (per-machine OAuth
 * credentials) are not API-key routes. Blocking: {@link #check} reads the database.
 */
final class Authenticator {
    private static final Pattern ANONYMOUS = Pattern.compile("/MAAS/api/2\\.0/(describe|version)/?");

    private final ApiKeys keys;

    Authenticator(ApiKeys keys) {
        this.keys = keys;
    }

    static boolean needsKey(String path) {
        return path.startsWith("/MAAS/api/2.0/") && !ANONYMOUS.matcher(path).matches();
    }

    /**
     * @return the username of the key that signed the request
     * @throws Rejected UNAUTHORIZED naming what is missing or wrong
     */
    String check(HttpHeaders headers) {
        String header = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (header == null) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, "Authorization: missing (expected: OAuth PLAINTEXT signed with an API key;"
                    + " ./metalcast apikey create prints one)");
        }
        Optional<OAuth> oauth = OAuth.parse(header);
        if (oauth.isEmpty()) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, "Authorization: not OAuth PLAINTEXT with oauth_consumer_key, oauth_token and"
                    + " oauth_signature (expected: a request signed as the maas CLI signs it)");
        }
        return keys.authenticate(oauth.get().signed());
    }
}
