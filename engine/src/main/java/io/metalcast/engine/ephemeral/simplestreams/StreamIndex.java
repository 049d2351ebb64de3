package io.metalcast.engine.ephemeral.simplestreams;

import java.util.List;
import java.util.Objects;

/** {@code streams/v1/index.json}: one entry per products file, in file order. */
public record StreamIndex(List<IndexEntry> entries) implements StreamDocument {
    public StreamIndex {
        entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
    }

    /**
     * One {@code index} entry. {@code datatype} is {@code image-ids} even for download streams, so it is kept, not
     * filtered on.
     *
     * @param path     the products file, relative to the mirror root
     * @param products the product ids the file holds (may be empty if the index does not list them)
     */
    public record IndexEntry(String contentId, String datatype, String format, String path, List<String> products) {
        public IndexEntry {
            Objects.requireNonNull(contentId, "contentId");
            Objects.requireNonNull(datatype, "datatype");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(path, "path");
            products = List.copyOf(Objects.requireNonNull(products, "products"));
        }
    }
}
