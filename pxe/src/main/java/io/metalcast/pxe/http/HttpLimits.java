package io.metalcast.pxe.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the boot HTTP server.
 *
 * @param maxRequestLine longest request line accepted (longer: 414)
 * @param maxHeaderBytes total size of the header section accepted (larger: 431)
 * @param idleTimeout    a connection making no progress in either direction this long is closed
 * @param headerTimeout  time allowed for a complete request head, from connect or from the end of the last response
 * @param ioThreads      worker event loop threads
 */
public record HttpLimits(int maxRequestLine, int maxHeaderBytes, Duration idleTimeout, Duration headerTimeout, int ioThreads) {
    public HttpLimits {
        if (maxRequestLine < 64 || maxRequestLine > 1 << 20) {
            throw new IllegalArgumentException("maxRequestLine: " + maxRequestLine + " (expected: 64..1048576)");
        }
        if (maxHeaderBytes < 256 || maxHeaderBytes > 1 << 20) {
            throw new IllegalArgumentException("maxHeaderBytes: " + maxHeaderBytes + " (expected: 256..1048576)");
        }
        positive("idleTimeout", idleTimeout);
        positive("headerTimeout", headerTimeout);
        if (ioThreads < 1 || ioThreads > 256) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: 1..256)");
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /** 8 KiB request line, 16 KiB of headers, 60 s idle, 20 s for a request head, 2 threads per core. */
    public static HttpLimits defaults() {
        return new HttpLimits(8192, 16384, Duration.ofSeconds(60), Duration.ofSeconds(20),
                Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    }

    public HttpLimits withTimeouts(Duration idle, Duration header) {
        return new HttpLimits(maxRequestLine, maxHeaderBytes, idle, header, ioThreads);
    }
}
