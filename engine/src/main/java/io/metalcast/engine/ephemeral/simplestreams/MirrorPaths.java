package io.metalcast.engine.ephemeral.simplestreams;

import java.nio.charset.StandardCharsets;

/** Checks and encodes the relative {@code path} values of stream files, so nothing resolves outside the mirror root. */
final class MirrorPaths {
    private MirrorPaths() {
    }

    /** Refuses empty, absolute, backslashed, percent-encoded, query-bearing paths and {@code .}/{@code ..} segments. */
    static String check(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.length() > 1024) {
            throw new IllegalArgumentException("path: '" + path + "' (expected: a relative path under the mirror root)");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '%' || c == '?' || c == '#') {
                throw new IllegalArgumentException("path: '" + path + "' (expected: no control characters, \\, %, ? or #)");
            }
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("path: '" + path + "' (expected: no empty, . or .. segments)");
            }
        }
        return path;
    }

    /** Percent-encodes what may not stand in a URI path ({@code :} and {@code @} stay: images.maas.io names use them). */
    static String encode(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0;
            if (keep) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }
}
