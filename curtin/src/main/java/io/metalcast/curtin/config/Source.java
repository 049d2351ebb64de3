package io.metalcast.curtin.config;

import java.util.Objects;

/**
 * One entry of curtin's {@code sources}, always in the mapping form {@code {type, uri}}: curtin recognises a dd image
 * only in that form.
 *
 * @param type           curtin source type: {@code dd-raw}, {@code dd-gz}, {@code tgz}...
 * @param uri            where the installer fetches it
 * @param sha256         expected sha256 of the bytes at {@code uri} (our extension, ignored by curtin); empty when unknown
 * @param size           expected length in bytes of the bytes at {@code uri}; -1 when unknown
 * @param bmap           where the block map of a raw image is ({@code BlockMap}, our extension); empty when none
 * @param bmapSha256     sha256 of the file at {@code bmap}; required with it
 */
public record Source(String type, String uri, String sha256, long size, String bmap, String bmapSha256) {
    public Source {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(bmap, "bmap");
        Objects.requireNonNull(bmapSha256, "bmapSha256");
        if (!sha256.isEmpty() && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits or empty)");
        }
        if (!bmap.isEmpty() && !bmapSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("bmap_sha256: '" + bmapSha256 + "' (expected: 64 lowercase hex digits with a bmap)");
        }
        if (bmap.isEmpty() && !bmapSha256.isEmpty()) {
            throw new IllegalArgumentException("bmap_sha256: '" + bmapSha256 + "' without a bmap (expected: both or neither)");
        }
    }

    /** A source without a block map. */
    public Source(String type, String uri, String sha256, long size) {
        this(type, uri, sha256, size, "", "");
    }

    /** This source with the block map at {@code bmap} whose sha256 is {@code bmapSha256}. */
    public Source withBlockMap(String bmap, String bmapSha256) {
        return new Source(type, uri, sha256, size, bmap, bmapSha256);
    }
}
