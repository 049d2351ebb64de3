package io.metalcast.curtin.config;

import java.util.Objects;

/**
 * One entry of curtin's {@code sources}, always in the mapping form {@code {type, uri}}: curtin recognises a dd image
 * only in that form.
 *
 * @param type   curtin source type: {@code dd-raw}, {@code dd-gz}, {@code tgz}...
 * @param uri    where the installer fetches it
 * @param sha256 expected sha256 of the bytes at {@code uri} (our extension, ignored by curtin); empty when unknown
 * @param size   expected length in bytes of the bytes at {@code uri}; -1 when unknown
 */
public record Source(String type, String uri, String sha256, long size) {
    public Source {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(sha256, "sha256");
        if (!sha256.isEmpty() && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits or empty)");
        }
    }
}
