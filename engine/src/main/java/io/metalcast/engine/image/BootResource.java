package io.metalcast.engine.image;

import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A boot resource with its files (all versions, oldest first) and, for files still being uploaded in chunks, the bytes
 * received so far by file id.
 *
 * @param inspections what the inspection found, by file id (the {@code Inspection.toMap()} shape with the verdict's
 *                    findings and {@code warnings}); files stored before inspection existed have none
 * @param synced      for a Synced resource: {@code version}, {@code files} (from {@code .imported.json}, when
 *                    imported), {@code initramfs} (the initramfs scan) and {@code warnings}; empty for uploads
 * @param blockMaps   the block maps of complete raw files, by file id
 * @param rawViews    the raw views of complete compressed disk images, by file id
 */
public record BootResource(BootResourceRecord resource, List<BootFileRecord> files, Map<Long, Long> received,
                           Map<Long, Map<String, Object>> inspections, Map<String, Object> synced, Map<Long, StoredBlockMap> blockMaps,
                           Map<Long, StoredRawView> rawViews) {
    public BootResource {
        Objects.requireNonNull(resource, "resource");
        files = List.copyOf(files);
        received = Map.copyOf(received);
        inspections = Map.copyOf(inspections);
        synced = Map.copyOf(synced);
        blockMaps = Map.copyOf(blockMaps);
        rawViews = Map.copyOf(rawViews);
    }

    public BootResource(BootResourceRecord resource, List<BootFileRecord> files, Map<Long, Long> received,
                        Map<Long, Map<String, Object>> inspections, Map<String, Object> synced, Map<Long, StoredBlockMap> blockMaps) {
        this(resource, files, received, inspections, synced, blockMaps, Map.of());
    }

    public BootResource(BootResourceRecord resource, List<BootFileRecord> files, Map<Long, Long> received,
                        Map<Long, Map<String, Object>> inspections, Map<String, Object> synced) {
        this(resource, files, received, inspections, synced, Map.of());
    }

    public BootResource(BootResourceRecord resource, List<BootFileRecord> files, Map<Long, Long> received) {
        this(resource, files, received, Map.of(), Map.of());
    }

    public BootResource(BootResourceRecord resource, List<BootFileRecord> files) {
        this(resource, files, Map.of());
    }

    /** Bytes of the file received so far: its size when complete. */
    public long receivedOf(BootFileRecord f) {
        return f.complete() ? f.size() : received.getOrDefault(f.id(), 0L);
    }

    /** The inspection of the newest complete file that has one. */
    public Optional<Map<String, Object>> inspection() {
        for (int i = files.size() - 1; i >= 0; i--) {
            BootFileRecord f = files.get(i);
            if (f.complete() && inspections.containsKey(f.id())) {
                return Optional.of(inspections.get(f.id()));
            }
        }
        return Optional.empty();
    }
}
