package io.metalcast.pxe.tftp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of option negotiation (RFC 2347/2348/2349) for one transfer.
 *
 * @param blksize        block size in use (512 when not negotiated)
 * @param timeoutSeconds retransmission timeout the client asked for, 0 for the server default
 * @param oack           the accepted options with the values we answer, in request order; empty means no OACK
 */
public record TftpOptions(int blksize, int timeoutSeconds, Map<String, String> oack) {
    public static final int DEFAULT_BLKSIZE = 512;

    public TftpOptions {
        if (blksize < TftpConfig.MIN_BLKSIZE || blksize > TftpConfig.MAX_BLKSIZE) {
            throw new IllegalArgumentException("blksize: " + blksize + " (expected: 8..65464)");
        }
        if (timeoutSeconds < 0 || timeoutSeconds > 255) {
            throw new IllegalArgumentException("timeout: " + timeoutSeconds + " (expected: 0..255)");
        }
        oack = Collections.unmodifiableMap(new LinkedHashMap<>(oack));
    }

    /**
     * Accepts what we support and can honour; ignores the rest (unknown names, non-numeric or out-of-range values).
     * blksize above {@code maxBlksize} is clamped; below 8 it is refused. tsize is answered with the real size.
     */
    public static TftpOptions negotiate(Map<String, String> requested, long size, int maxBlksize) {
        int blksize = DEFAULT_BLKSIZE;
        int timeout = 0;
        Map<String, String> oack = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : requested.entrySet()) {
            String value = e.getValue();
            switch (e.getKey()) {
                case "blksize" -> {
                    long v = parseClamped(value);
                    if (v >= TftpConfig.MIN_BLKSIZE) {
                        blksize = (int) Math.min(v, maxBlksize);
                        oack.put("blksize", Integer.toString(blksize));
                    }
                }
                case "tsize" -> {
                    if (parseClamped(value) >= 0) {
                        oack.put("tsize", Long.toString(size));
                    }
                }
                case "timeout" -> {
                    long v = parseClamped(value);
                    if (v >= 1 && v <= 255) {
                        timeout = (int) v;
                        oack.put("timeout", Long.toString(v));
                    }
                }
                default -> {
                    // windowsize and anything else: not offered yet, so not acknowledged.
                }
            }
        }
        return new TftpOptions(blksize, timeout, oack);
    }

    /** Decimal digits only: their value, capped at Long.MAX_VALUE for very long numbers; -1 when not a number. */
    static long parseClamped(String value) {
        if (value.isEmpty() || value.length() > 64) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            if (v > (Long.MAX_VALUE - 9) / 10) {
                v = Long.MAX_VALUE;
            } else {
                v = v * 10 + (c - '0');
            }
        }
        return v;
    }
}
