package io.metalcast.engine.ephemeral.simplestreams;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One product, e.g. {@code com.ubuntu.maas.stable:v3:boot:22.04:amd64:ga-22.04}.
 *
 * @param id       the product id
 * @param keys     scalar keys of the file's top level and of the product, the product's winning
 * @param versions by serial, in plain string order (the last is the newest)
 */
public record StreamProduct(String id, Map<String, String> keys, SortedMap<String, StreamVersion> versions) {
    /** The kernel flavour assumed when a product names none. */
    public static final String GENERIC = "generic";

    public StreamProduct {
        Objects.requireNonNull(id, "id");
        keys = Map.copyOf(Objects.requireNonNull(keys, "keys"));
        versions = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(versions, "versions")));
    }

    public Optional<String> key(String name) {
        return Optional.ofNullable(keys.get(name));
    }

    public String os() {
        return keys.getOrDefault("os", "");
    }

    public String arch() {
        return keys.getOrDefault("arch", "");
    }

    public String release() {
        return keys.getOrDefault("release", "");
    }

    public String subarch() {
        return keys.getOrDefault("subarch", "");
    }

    /** {@code kflavor}, {@code generic} when absent. */
    public String kflavor() {
        String k = keys.get("kflavor");
        return k == null || k.isEmpty() ? GENERIC : k;
    }

    /** {@code subarches}: one comma-separated string in the stream. */
    public List<String> subarches() {
        String s = keys.getOrDefault("subarches", "");
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    /** The newest version: the largest serial by plain string order. */
    public Optional<StreamVersion> newest() {
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.lastKey()));
    }
}
