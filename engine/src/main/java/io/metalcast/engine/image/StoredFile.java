package io.metalcast.engine.image;

/** A file in the image store, named by its sha256 (64 lowercase hex). */
public record StoredFile(String sha256, long size) {
    public StoredFile {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits)");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: 0 or more)");
        }
    }
}
