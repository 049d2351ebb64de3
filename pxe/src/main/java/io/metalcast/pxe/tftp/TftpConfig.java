package io.metalcast.pxe.tftp;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the TFTP server.
 *
 * @param timeout     retransmission timeout when the client asks for none (RFC 2349 lets it choose 1..255 s)
 * @param retries     resends of one packet before the transfer is abandoned
 * @param maxSessions transfers running at once; further read requests are refused
 * @param maxBlksize  largest block size granted; larger requests are clamped to it (8..65464)
 * @param ioThreads   event loop threads for the listener and all transfers
 */
public record TftpConfig(Duration timeout, int retries, int maxSessions, int maxBlksize, int ioThreads) {
    public static final int MIN_BLKSIZE = 8;
    public static final int MAX_BLKSIZE = 65464;

    public TftpConfig {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofSeconds(255)) > 0) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0 and <= 255 s)");
        }
        if (retries < 0 || retries > 100) {
            throw new IllegalArgumentException("retries: " + retries + " (expected: 0..100)");
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions: " + maxSessions + " (expected: >= 1)");
        }
        if (maxBlksize < MIN_BLKSIZE || maxBlksize > MAX_BLKSIZE) {
            throw new IllegalArgumentException("maxBlksize: " + maxBlksize + " (expected: " + MIN_BLKSIZE + ".." + MAX_BLKSIZE + ")");
        }
        if (ioThreads < 1 || ioThreads > 64) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: 1..64)");
        }
    }

    /** 1 s timeout, 5 retries, 1,000 sessions, blksize up to 65464, 2 I/O threads. */
    public static TftpConfig defaults() {
        return new TftpConfig(Duration.ofSeconds(1), 5, 1000, MAX_BLKSIZE, 2);
    }

    public TftpConfig withTimeout(Duration newTimeout) {
        return new TftpConfig(newTimeout, retries, maxSessions, maxBlksize, ioThreads);
    }

    public TftpConfig withRetries(int newRetries) {
        return new TftpConfig(timeout, newRetries, maxSessions, maxBlksize, ioThreads);
    }

    public TftpConfig withMaxSessions(int newMaxSessions) {
        return new TftpConfig(timeout, retries, newMaxSessions, maxBlksize, ioThreads);
    }
}
