package io.metalcast.engine.store;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code boot_resource}: {@code type} is {@code Uploaded} or {@code Synced}; id 0 before insertion. */
public record BootResourceRecord(long id, String type, String name, String architecture, String title, String baseImage,
                                 String filetype, Instant created) {
    public static final String UPLOADED = "Uploaded";
    public static final String SYNCED = "Synced";

    public BootResourceRecord {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(baseImage, "baseImage");
        Objects.requireNonNull(filetype, "filetype");
        Objects.requireNonNull(created, "created");
    }
}
