package io.metalcast.engine.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An ephemeral environment on disk: {@code data_dir/ephemeral/<os>/<arch>/<release>/{boot-kernel,boot-initrd,squashfs}}.
 */
public record EphemeralImage(String os, String arch, String release, Path kernel, Path initrd, Path squashfs) {
    public EphemeralImage {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(squashfs, "squashfs");
    }

    /** {@code <os>/<arch>/<release>}, the path prefix under {@code ephemeral/}. */
    public String path() {
        return os + "/" + arch + "/" + release;
    }
}
