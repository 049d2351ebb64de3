package io.metalcast.curtin.installer;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What one installer run needs, read once at the entry point.
 *
 * @param configUrl        where the engine serves the curtin config YAML
 * @param target           block device or regular file to write; null to choose a disk like curtin's simple mode
 * @param mountRoot        where the installed root filesystem is mounted for curthooks
 * @param sysRoot          sysfs mount point ({@code /sys}); tests point it at a fake tree
 * @param attachLoop       whether a regular-file target may be attached to a loop device (needs root)
 * @param progressInterval at most one progress event per interval during the extract
 */
public record InstallerOptions(URI configUrl, Path target, Path mountRoot, Path sysRoot, boolean attachLoop,
                               Duration progressInterval) {
    public static final Path DEFAULT_MOUNT_ROOT = Path.of("/tmp/metalcast-target");

    public InstallerOptions {
        Objects.requireNonNull(configUrl, "configUrl");
        String scheme = configUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) && !"file".equals(scheme)) {
            throw new IllegalArgumentException("config-url: '" + configUrl + "' (expected: http://, https:// or file: URL)");
        }
        Objects.requireNonNull(mountRoot, "mountRoot");
        Objects.requireNonNull(sysRoot, "sysRoot");
        Objects.requireNonNull(progressInterval, "progressInterval");
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("progressInterval: " + progressInterval + " (expected: > 0)");
        }
    }

    /** Defaults of the ephemeral environment: real sysfs, {@link #DEFAULT_MOUNT_ROOT}, loop devices when root, 2 s progress. */
    public static InstallerOptions of(URI configUrl, Path target) {
        return new InstallerOptions(configUrl, target, DEFAULT_MOUNT_ROOT, Path.of("/sys"), Commands.runningAsRoot(),
                Duration.ofSeconds(2));
    }

    public InstallerOptions withMountRoot(Path mountRoot) {
        return new InstallerOptions(configUrl, target, mountRoot, sysRoot, attachLoop, progressInterval);
    }

    public InstallerOptions withAttachLoop(boolean attachLoop) {
        return new InstallerOptions(configUrl, target, mountRoot, sysRoot, attachLoop, progressInterval);
    }

    public InstallerOptions withProgressInterval(Duration progressInterval) {
        return new InstallerOptions(configUrl, target, mountRoot, sysRoot, attachLoop, progressInterval);
    }

    public InstallerOptions withSysRoot(Path sysRoot) {
        return new InstallerOptions(configUrl, target, mountRoot, sysRoot, attachLoop, progressInterval);
    }
}
