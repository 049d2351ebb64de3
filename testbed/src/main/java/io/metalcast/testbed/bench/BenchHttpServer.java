package io.metalcast.testbed.bench;

import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.DhcpBoot;
import io.metalcast.pxe.http.HttpBootServer;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The metalcast side of {@link HttpBench}, run in its own JVM so its resident memory can be measured: serves one
 * directory with {@link HttpBootServer} on 127.0.0.1, prints {@code port=<n>} once bound, and exits (printing its
 * throughput meters) when its standard input ends.
 *
 * <p>Usage: {@code BenchHttpServer DIR}
 */
public final class BenchHttpServer {
    private BenchHttpServer() {
    }

    /** Publishes the regular files directly in one directory (no subdirectories, no symlinks). */
    record DirectoryPolicy(Path root) implements BootPolicy {
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

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BenchHttpServer DIR");
            System.exit(2);
        }
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        ExecutorService blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "bench-blocking");
            t.setDaemon(true);
            return t;
        });
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HttpBootServer server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DirectoryPolicy(root), blocking, registry)) {
            server.start();
            System.out.println("port=" + server.localAddress().getPort());
            System.out.flush();
            InputStream in = System.in;
            while (in.read() >= 0) {
                // wait for the parent to close our stdin
            }
            DistributionSummary rate = registry.get("http.transfer.rate").summary();
            System.out.printf("meters: http.bytes=%.0f transfers=%d transfer.rate mean=%.1f MB/s max=%.1f MB/s%n",
                    registry.get("http.bytes").counter().count(), rate.count(), rate.mean() / 1e6, rate.max() / 1e6);
            System.out.flush();
        } finally {
            blocking.shutdownNow();
        }
    }
}
