package io.metalcast.curtin.installer;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The device (or, in tests, regular file) the image is written to.
 *
 * @param path        what is opened for writing
 * @param size        capacity in bytes: the device size, or a regular file's current length
 * @param blockDevice true for a block device
 */
public record TargetDisk(Path path, long size, boolean blockDevice) {
    public TargetDisk {
        Objects.requireNonNull(path, "path");
        if (size < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
        }
    }

    /** The kernel's name for the device ({@code vda}, {@code loop3}), or the file name. */
    public String name() {
        return path.getFileName().toString();
    }
}
