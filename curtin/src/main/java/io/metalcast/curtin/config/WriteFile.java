package io.metalcast.curtin.config;

import java.util.Objects;

/** One entry of curtin's {@code write_files}: a file written into the target after the image is in place. */
public record WriteFile(String path, String content, String permissions) {
    public WriteFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(permissions, "permissions");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("write_files path: '" + path + "' (expected: absolute path in the target)");
        }
    }
}
