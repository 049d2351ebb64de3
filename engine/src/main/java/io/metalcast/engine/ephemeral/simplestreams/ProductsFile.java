package io.metalcast.engine.ephemeral.simplestreams;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A products file ({@code products:1.0}).
 *
 * @param contentId the {@code content_id}, e.g. {@code com.ubuntu.maas:stable:v3:download}
 * @param keys      the top-level scalar keys (already inherited into every product)
 * @param products  in file order
 */
public record ProductsFile(String contentId, Map<String, String> keys, List<StreamProduct> products) implements StreamDocument {
    public ProductsFile {
        Objects.requireNonNull(contentId, "contentId");
        keys = Map.copyOf(Objects.requireNonNull(keys, "keys"));
        products = List.copyOf(Objects.requireNonNull(products, "products"));
    }
}
