package io.metalcast.pxe.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the boot HTTP server.
 *
 * @param maxRequestLine      longest request line accepted (longer: 414)
 * @param maxHeaderBytes      total size of the header section accepted (larger: 431)
 * @param idleTimeout         a connection making no progress in either direction this long is closed
 * @param headerTimeout       time allowed for a complete request head, from connect or from the end of the last response
 * @param ioThreads           worker event loop threads
 * @param maxConnections      open connections at most; further ones are closed at once
 * @param maxConnectionsPerIp open connections from one client address at most; further ones are closed at once
 */
public record HttpLimits(int maxRequestLine, int maxHeaderBytes, Duration idleTimeout, Duration headerTimeout, int ioThreads,
                         int maxConnections, int maxConnectionsPerIp) {
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
        if (maxConnections < 1 || maxConnections > 1_000_000) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: 1..1000000)");
        }
        if (maxConnectionsPerIp < 1 || maxConnectionsPerIp > maxConnections) {
            throw new IllegalArgumentException("maxConnectionsPerIp: " + maxConnectionsPerIp
                    + " (expected: 1.." + maxConnections + ")");
        }
    }

    /** The limits without connection caps of their own: {@link #DEFAULT_MAX_CONNECTIONS} and {@link #DEFAULT_MAX_PER_IP}. */
    public HttpLimits(int maxRequestLine, int maxHeaderBytes, Duration idleTimeout, Duration headerTimeout, int ioThreads) {
        this(maxRequestLine, maxHeaderBytes, idleTimeout, headerTimeout, ioThreads, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_IP);
    }

    /** Open connections at most by default: enough for a rack booting at once, well under a default fd limit. */
    public static final int DEFAULT_MAX_CONNECTIONS = 8192;
    /** Open connections from one address at most by default: a firmware or installer needs a handful. */
    public static final int DEFAULT_MAX_PER_IP = 256;

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /**
     * 8 KiB request line, 16 KiB of headers, 60 s idle, 20 s for a request head, 2 threads per core,
     * 8192 connections, 256 per client address.
     */
    public static HttpLimits defaults() {
        return new HttpLimits(8192, 16384, Duration.ofSeconds(60), Duration.ofSeconds(20),
                Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    }

    public HttpLimits withTimeouts(Duration idle, Duration header) {
        return new HttpLimits(maxRequestLine, maxHeaderBytes, idle, header, ioThreads, maxConnections, maxConnectionsPerIp);
    }

    public HttpLimits withConnections(int total, int perIp) {
        return new HttpLimits(maxRequestLine, maxHeaderBytes, idleTimeout, headerTimeout, ioThreads, total, perIp);
    }

    public HttpLimits withIoThreads(int threads) {
        return new HttpLimits(maxRequestLine, maxHeaderBytes, idleTimeout, headerTimeout, threads, maxConnections, maxConnectionsPerIp);
    }
}
