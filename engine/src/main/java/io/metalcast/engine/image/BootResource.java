package io.metalcast.engine.image;

import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import java.util.List;
import java.util.Objects;

/** A boot resource with its files (all versions, oldest first). */
public record BootResource(BootResourceRecord resource, List<BootFileRecord> files) {
    public BootResource {
        Objects.requireNonNull(resource, "resource");
        files = List.copyOf(files);
    }
}
