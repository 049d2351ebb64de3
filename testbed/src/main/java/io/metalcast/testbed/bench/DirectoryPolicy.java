package io.metalcast.testbed.bench;

import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.DhcpBoot;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The benchmarks' boot policy: publishes the regular files directly in one directory (no subdirectories, no symlinks),
 * never answers DHCP.
 */
public record DirectoryPolicy(Path root) implements BootPolicy {
    @Override
    public Optional<DhcpBoot> dhcpBoot(BootClient client) {
        return Optional.empty();
    }

    @Override
    public Optional<BootContent> open(BootFileRequest request) {
        if (request.path().contains("/") || request.path().contains("?")) {
            return Optional.empty();
        }
        Path file = root.resolve(request.path());
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(new BootContent.OnDisk(file, "application/octet-stream"));
    }
}
