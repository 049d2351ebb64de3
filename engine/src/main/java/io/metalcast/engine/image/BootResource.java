package io.metalcast.engine.image;

import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A boot resource with its files (all versions, oldest first) and, for files still being uploaded in chunks, the bytes
 * received so far by file id.
 */
public record BootResource(BootResourceRecord resource, List<BootFileRecord> files, Map<Long, Long> received) {
    public BootResource {
        Objects.requireNonNull(resource, "resource");
        files = List.copyOf(files);
        received = Map.copyOf(received);
    }

    public BootResource(BootResourceRecord resource, List<BootFileRecord> files) {
        this(resource, files, Map.of());
    }

    /** Bytes of the file received so far: its size when complete. */
    public long receivedOf(BootFileRecord f) {
        return f.complete() ? f.size() : received.getOrDefault(f.id(), 0L);
    }
}
