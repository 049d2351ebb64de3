package io.metalcast.engine.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the API server waits for a client before closing its connection (defaults in code, no config keys).
 *
 * @param headerTimeout from the moment the server waits for a request (connection opened, or the last answer written)
 *                      until that request's headers are complete; bytes trickling in do not extend it
 * @param bodyIdle      the longest pause in reading a request body while the server is ready to read; a stalled
 *                      upload chunk is then dropped (as a cut connection) and its file can take the next chunk
 */
public record ApiLimits(Duration headerTimeout, Duration bodyIdle) {
    private static final Duration MIN = Duration.ofMillis(10);
    private static final Duration MAX = Duration.ofHours(24);
    public static final ApiLimits DEFAULTS = new ApiLimits(Duration.ofSeconds(60), Duration.ofSeconds(60));

    public ApiLimits {
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        Objects.requireNonNull(bodyIdle, "bodyIdle");
        check("headerTimeout", headerTimeout);
        check("bodyIdle", bodyIdle);
    }

    private static void check(String name, Duration d) {
        if (d.compareTo(MIN) < 0 || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: " + MIN + ".." + MAX + ")");
        }
    }
}
