package io.metalcast.pxe.boot;

import java.util.Optional;

/**
 * Normalises a path a client asked for into a relative '/'-separated path with no dot segments, or refuses it.
 * One rule for TFTP and HTTP: anything that could escape the boot tree is refused, never repaired.
 */
public final class BootPaths {
    private BootPaths() {
    }

    /**
     * @param raw the path as received, after protocol-level decoding (HTTP percent-decoding, once)
     * @return the normalised path, or empty when the path is refused
     */
    public static Optional<String> normalise(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > 1024) {
            return Optional.empty();
        }
        // TFTP clients (PXELINUX, GRUB on Windows-built configs) send backslashes as separators.
        String p = raw.replace('\\', '/');
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder out = new StringBuilder(p.length());
        for (String segment : p.split("/", -1)) {
            if (segment.isEmpty()) {
                continue;
            }
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c < 0x20 || c == 0x7f || c == '%') {
                    // Control characters and NUL never name a boot file; a '%' left after decoding is double encoding.
                    return Optional.empty();
                }
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(segment);
        }
        return out.length() == 0 ? Optional.empty() : Optional.of(out.toString());
    }
}
