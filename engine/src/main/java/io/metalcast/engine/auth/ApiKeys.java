package io.metalcast.engine.auth;

import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.store.ApiKeyRecord;
import io.metalcast.engine.store.ApiKeyRepository;
import io.metalcast.engine.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * API keys and the check of MAAS-signed requests: OAuth 1.0 PLAINTEXT with an empty consumer secret, a timestamp within
 * the window of the server's clock (either way), and a nonce not seen before with the same key. Nonces are kept only as
 * long as the window, so the table stays bounded. Blocking (database): call it on the blocking executor.
 */
public final class ApiKeys {
    /** MAAS's (python-oauth's) timestamp threshold. */
    public static final Duration WINDOW = Duration.ofSeconds(300);
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String INVALID = "Authorization Error: Invalid API key.";

    private final Database db;
    private final ApiKeyRepository repo = new ApiKeyRepository();
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile long nextPrune;

    public ApiKeys(Database db, Clock clock) {
        this.db = Objects.requireNonNull(db, "db");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The signed parameters of one request, as read from its {@code Authorization} header (values URL-decoded). */
    public record Signed(String consumerKey, String tokenKey, String signature, String nonce, String timestamp) {
    }

    /** Creates and stores a new key for {@code username}. */
    public ApiKey create(String username) {
        if (username == null || !username.matches("[A-Za-z0-9._-]{1,64}")) {
            throw Rejected.invalid("username", String.valueOf(username), "1..64 letters, digits and ._-");
        }
        ApiKey key = new ApiKey(randomString(18), randomString(18), randomString(32));
        register(key, username);
        return key;
    }

    /** Stores an existing key (read from a key file) unless its token is already known. */
    public void register(ApiKey key, String username) {
        db.tx(c -> {
            Optional<ApiKeyRecord> known = repo.byToken(c, key.tokenKey());
            if (known.isPresent()) {
                if (!known.get().consumerKey().equals(key.consumerKey()) || !known.get().tokenSecret().equals(key.tokenSecret())) {
                    throw new IllegalStateException("api key: token " + key.tokenKey() + " is already stored with other credentials");
                }
                return null;
            }
            repo.insert(c, new ApiKeyRecord(key.consumerKey(), key.tokenKey(), key.tokenSecret(), username, clock.instant()));
            return null;
        });
    }

    /**
     * The operator's key kept in {@code file} (mode 0600): read and registered when the file exists, else created and
     * written there. Called at start-up so that the local operator and the lab always have a working key.
     */
    public ApiKey operatorKey(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                ApiKey key = ApiKey.parse(Files.readString(file, StandardCharsets.UTF_8));
                register(key, "admin");
                return key;
            }
            ApiKey key = create("admin");
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, key.formatted() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("api key file " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("api key file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks a signed request.
     *
     * @return the username the key belongs to
     * @throws Rejected UNAUTHORIZED with one line naming what is wrong
     */
    public String authenticate(Signed s) {
        if (s.consumerKey() == null || s.tokenKey() == null || s.signature() == null) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, INVALID);
        }
        if (s.timestamp() == null || !s.timestamp().matches("[0-9]{1,12}")) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, "oauth_timestamp: '" + s.timestamp() + "' (expected: seconds since 1970)");
        }
        if (s.nonce() == null || s.nonce().isEmpty() || s.nonce().length() > 255) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, "oauth_nonce: '" + s.nonce() + "' (expected: 1..255 characters)");
        }
        long now = clock.instant().getEpochSecond();
        long stamp = Long.parseLong(s.timestamp());
        if (Math.abs(now - stamp) > WINDOW.toSeconds()) {
            throw new Rejected(Rejected.Kind.UNAUTHORIZED, "oauth_timestamp: '" + stamp + "' (expected: within " + WINDOW.toSeconds()
                    + " s of the server's time " + now + ")");
        }
        return db.tx(c -> {
            Optional<ApiKeyRecord> k = repo.byToken(c, s.tokenKey());
            if (k.isEmpty() || !same(k.get().consumerKey(), s.consumerKey()) || !same("&" + k.get().tokenSecret(), s.signature())) {
                throw new Rejected(Rejected.Kind.UNAUTHORIZED, INVALID);
            }
            if (now >= nextPrune) {
                repo.pruneNonces(c, now - WINDOW.toSeconds());
                nextPrune = now + 60;
            }
            if (!repo.useNonce(c, s.tokenKey(), s.nonce(), stamp)) {
                throw new Rejected(Rejected.Kind.UNAUTHORIZED, "oauth_nonce: '" + s.nonce() + "' (expected: a nonce not used before with this key)");
            }
            return k.get().username();
        });
    }

    /** How many nonces are remembered (bounded by the window). */
    public long rememberedNonces() {
        return db.tx(repo::countNonces);
    }

    /** Forgets nonces older than the window now (normally done at most once a minute while authenticating). */
    public void prune() {
        db.tx(c -> repo.pruneNonces(c, clock.instant().getEpochSecond() - WINDOW.toSeconds()));
    }


    private String randomString(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }

    private static boolean same(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
