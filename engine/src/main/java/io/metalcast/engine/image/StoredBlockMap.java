package io.metalcast.engine.image;

import java.util.Locale;
import java.util.Objects;

/**
 * The block map stored beside a raw image, as the curtin config names it and the status shows it.
 *
 * @param sha256      sha256 of the {@code .bmap} file's bytes
 * @param mappedBytes bytes of the image inside the map's ranges (the ones the installer fetches)
 * @param imageSize   bytes in the image
 */
public record StoredBlockMap(String sha256, long mappedBytes, long imageSize) {
    public StoredBlockMap {
        Objects.requireNonNull(sha256, "sha256");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits)");
        }
        if (imageSize < 0 || mappedBytes < 0 || mappedBytes > imageSize) {
            throw new IllegalArgumentException("mappedBytes: " + mappedBytes + " of " + imageSize + " (expected: 0..imageSize)");
        }
    }

    /** {@code 42.7 of 512.0 MiB hold data (8%)}; two decimals below 10 MiB. */
    public String summary() {
        return mib(mappedBytes) + " of " + mib(imageSize) + " MiB hold data ("
                + (imageSize == 0 ? 0 : Math.round(100.0 * mappedBytes / imageSize)) + "%)";
    }

    private static String mib(long bytes) {
        double m = bytes / 1048576.0;
        return String.format(Locale.ROOT, m < 10 ? "%.2f" : "%.1f", m);
    }
}
