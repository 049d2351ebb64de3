package io.metalcast.engine.image;

import java.util.Objects;

/**
 * The raw view stored beside a compressed disk image: the image decompressed once into a sparse file, with its block
 * map, as the curtin config names them and the status shows them.
 *
 * @param sha256 sha256 of the raw image (the decompressed bytes)
 * @param size   bytes in the raw image
 * @param map    its block map
 */
public record StoredRawView(String sha256, long size, StoredBlockMap map) {
    public StoredRawView {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(map, "map");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits)");
        }
        if (size != map.imageSize()) {
            throw new IllegalArgumentException("size: " + size + " (expected: " + map.imageSize() + ", the size its block map names)");
        }
    }
}
