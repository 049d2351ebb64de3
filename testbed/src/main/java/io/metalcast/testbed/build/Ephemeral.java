package io.metalcast.testbed.build;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A built ephemeral environment: the kernel, the initramfs that fetches the root over HTTP ({@code root=squash:<url>}),
 * and the squashfs root that runs the installer.
 */
public record Ephemeral(Path kernel, Path initrd, Path squashfs, String kernelVersion) {
    public Ephemeral {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(squashfs, "squashfs");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
        if (!kernelVersion.matches("[0-9][0-9A-Za-z.+_-]*")) {
            throw new IllegalArgumentException("kernelVersion: '" + kernelVersion + "' (expected: a kernel release such as 6.1.0-56-amd64)");
        }
    }
}
