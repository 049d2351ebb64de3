package io.metalcast.pxe.net;

import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.DhcpBoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real boot policy for tests: publishes the files under one directory, and {@code generated.ipxe} as a generated
 * document. Records the names of the threads it was called on.
 */
public final class DirectoryPolicy implements BootPolicy {
    public static final String GENERATED = "generated.ipxe";
    public static final byte[] GENERATED_BYTES = "#!ipxe\nchain http://127.0.0.1/next\n".getBytes(StandardCharsets.US_ASCII);

    private final Path root;
    public final Set<String> threads = ConcurrentHashMap.newKeySet();

    public DirectoryPolicy(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public Optional<DhcpBoot> dhcpBoot(BootClient client) {
        return Optional.empty();
    }

    @Override
    public Optional<BootContent> open(BootFileRequest request) {
        threads.add(Thread.currentThread().getName());
        String path = request.path();
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.equals(GENERATED)) {
            return Optional.of(new BootContent.Generated(GENERATED_BYTES, "text/plain"));
        }
        Path file = root.resolve(path).normalize();
        if (!file.startsWith(root) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(file)) {
            return Optional.empty();
        }
        return Optional.of(new BootContent.OnDisk(file, "application/octet-stream"));
    }
}
