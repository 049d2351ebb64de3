package io.metalcast.pxe.http;

import java.util.Locale;

/**
 * What a {@code Range} header asks of a representation of known size (RFC 9110 section 14). Only a single byte range
 * is honoured; multiple ranges, other units and malformed headers are ignored (the whole file is sent).
 */
public sealed interface ByteRange permits ByteRange.Whole, ByteRange.Partial, ByteRange.Unsatisfiable {

    /** Send the whole representation (no Range, or one we ignore). */
    record Whole() implements ByteRange {
    }

    /** Send bytes {@code first..last} inclusive. */
    record Partial(long first, long last) implements ByteRange {
        public Partial {
            if (first < 0 || last < first) {
                throw new IllegalArgumentException("range: " + first + "-" + last + " (expected: 0 <= first <= last)");
            }
        }

        public long length() {
            return last - first + 1;
        }
    }

    /** 416: the range starts at or past the end. */
    record Unsatisfiable() implements ByteRange {
    }

    /**
     * @param header the Range header value, or null
     * @param size   the representation's size in bytes
     */
    static ByteRange parse(String header, long size) {
        if (header == null) {
            return new Whole();
        }
        String h = header.trim();
        if (h.length() < 6 || !h.substring(0, 6).toLowerCase(Locale.ROOT).equals("bytes=")) {
            return new Whole();
        }
        String spec = h.substring(6).trim();
        if (spec.indexOf(',') >= 0) {
            return new Whole();
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Whole();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        if (a.isEmpty()) {
            long n = digits(b);
            if (n < 0) {
                return new Whole();
            }
            if (n == 0 || size == 0) {
                return new Unsatisfiable();
            }
            return new Partial(Math.max(0, size - n), size - 1);
        }
        long first = digits(a);
        if (first < 0) {
            return new Whole();
        }
        long last;
        if (b.isEmpty()) {
            last = Long.MAX_VALUE;
        } else {
            last = digits(b);
            if (last < 0 || last < first) {
                return new Whole();
            }
        }
        if (first >= size) {
            return new Unsatisfiable();
        }
        return new Partial(first, Math.min(last, size - 1));
    }

    /** ASCII digits as a number, Long.MAX_VALUE when too large, -1 when empty or not only digits. */
    private static long digits(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : v * 10 + (c - '0');
        }
        return v;
    }
}
