package io.metalcast.testbed.bench;

import io.metalcast.pxe.http.HttpBootServer;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The metalcast side of {@link HttpBench}, run in its own JVM so its resident memory can be measured: serves one
 * directory with {@link HttpBootServer} on 127.0.0.1 (or the address given), prints {@code port=<n>} once bound, and exits (printing its
 * throughput meters) when its standard input ends.
 *
 * <p>Usage: {@code BenchHttpServer DIR [BIND_ADDRESS]}
 */
public final class BenchHttpServer {
    private BenchHttpServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BenchHttpServer DIR [BIND_ADDRESS]");
            System.exit(2);
        }
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        InetAddress bind = args.length == 2 ? InetAddress.getByName(args[1]) : InetAddress.getLoopbackAddress();
        ExecutorService blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "bench-blocking");
            t.setDaemon(true);
            return t;
        });
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HttpBootServer server = new HttpBootServer(new InetSocketAddress(bind, 0),
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
