package io.metalcast.engine.ephemeral.simplestreams;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One file of a version. Fields may be missing in a stream: they are checked when the item is selected, not when parsed.
 *
 * @param name   the item key, e.g. {@code boot-kernel}
 * @param ftype  {@code boot-kernel}, {@code boot-initrd}, {@code squashfs}, {@code manifest}, {@code root-image.gz}...
 *               ({@code ""} when absent)
 * @param path   relative to the mirror root ({@code ""} when absent)
 * @param sha256 lowercase hex ({@code ""} when absent)
 * @param size   bytes, {@code -1} when absent
 * @param keys   every scalar key inherited down to the item (top, product, version, item; the lower level wins)
 */
public record StreamItem(String name, String ftype, String path, String sha256, long size, Map<String, String> keys) {
    public StreamItem {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ftype, "ftype");
        Objects.requireNonNull(path, "path");
        sha256 = Objects.requireNonNull(sha256, "sha256").toLowerCase();
        keys = Map.copyOf(Objects.requireNonNull(keys, "keys"));
    }

    public Optional<String> key(String key) {
        return Optional.ofNullable(keys.get(key));
    }

    /** {@code kflavor} as inherited, {@code generic} when absent. */
    public String kflavor() {
        String k = keys.get("kflavor");
        return k == null || k.isEmpty() ? StreamProduct.GENERIC : k;
    }
}
