package io.metalcast.engine.store;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code upload}: a chunked upload in progress, its bytes so far in {@code data_dir/tmp/<partialName>}. */
public record UploadRecord(long fileId, String partialName, long bytesReceived, Instant updated) {
    public UploadRecord {
        Objects.requireNonNull(partialName, "partialName");
        Objects.requireNonNull(updated, "updated");
        if (bytesReceived < 0) {
            throw new IllegalArgumentException("bytesReceived: " + bytesReceived + " (expected: 0 or more)");
        }
    }
}
