package io.metalcast.engine.store;

import java.util.Objects;

/** A row of {@code boot_resource_file}: one stored file of one version (set) of a resource. */
public record BootFileRecord(long id, long resourceId, String version, String filename, String filetype, String sha256, long size,
                             boolean complete) {
    public BootFileRecord {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(filetype, "filetype");
        Objects.requireNonNull(sha256, "sha256");
    }
}
