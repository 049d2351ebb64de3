package io.metalcast.engine.ephemeral.simplestreams;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One version of a product.
 *
 * @param serial the version key, e.g. {@code 20250718}
 * @param items  by item name
 */
public record StreamVersion(String serial, SortedMap<String, StreamItem> items) {
    public StreamVersion {
        Objects.requireNonNull(serial, "serial");
        items = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(items, "items")));
    }

    /** The items of one {@code ftype}, in item-name order. */
    public List<StreamItem> byFtype(String ftype) {
        return items.values().stream().filter(i -> ftype.equals(i.ftype())).toList();
    }
}
