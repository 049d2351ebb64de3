package io.metalcast.testbed.build;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A built sample custom image: the file (a raw MBR disk image {@code *.raw}, or a root tarball {@code *.tgz}), its size in
 * bytes, its SHA-256 (lower-case hex) and its release.
 */
public record SampleImage(Path rawImage, long size, String sha256, String release) {
    public SampleImage {
        Objects.requireNonNull(rawImage, "rawImage");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(release, "release");
        if (size <= 0 || (rawImage.getFileName().toString().endsWith(".raw") && size % 512 != 0)) {
            throw new IllegalArgumentException("size: " + size + " (expected: positive, for a .raw disk image a multiple of 512)");
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lower-case hex digits)");
        }
        if (release.isBlank()) {
            throw new IllegalArgumentException("release: blank (expected: e.g. ubuntu/jammy)");
        }
    }
}
