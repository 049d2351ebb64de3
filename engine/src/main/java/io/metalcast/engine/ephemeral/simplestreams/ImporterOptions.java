package io.metalcast.engine.ephemeral.simplestreams;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SimplestreamsImporter}.
 *
 * @param connectTimeout   TCP/TLS connect timeout for HTTP mirrors
 * @param idleTimeout      a transfer (headers or body) that makes no progress for this long is abandoned
 * @param maxMetadataBytes the largest index or products file accepted
 */
public record ImporterOptions(Duration connectTimeout, Duration idleTimeout, long maxMetadataBytes) {
    public ImporterOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
        }
        if (idleTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 1 ms)");
        }
        if (maxMetadataBytes < 1024) {
            throw new IllegalArgumentException("maxMetadataBytes: " + maxMetadataBytes + " (expected: >= 1024)");
        }
    }

    /** 10 s connect, 60 s idle, 64 MiB of JSON at most. */
    public static ImporterOptions defaults() {
        return new ImporterOptions(Duration.ofSeconds(10), Duration.ofSeconds(60), 64L << 20);
    }
}
