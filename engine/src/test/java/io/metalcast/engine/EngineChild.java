package io.metalcast.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The engine as `metalcast serve` in a child JVM, for tests that kill it or measure its memory. */
final class EngineChild {
    private EngineChild() {
    }

    /** A child engine's configuration: loopback listeners on free ports, data under {@code dir/data}. */
    record Setup(Path config, Path data, int apiPort) {
    }

    /** Writes the configuration (and stand-in iPXE loaders, which the boot policy publishes) under {@code dir}. */
    static Setup configure(Path dir) throws IOException {
        Path ipxe = Files.createDirectories(dir.resolve("ipxe"));
        Files.write(ipxe.resolve("undionly.kpxe"), new byte[] {1});
        Files.write(ipxe.resolve("ipxe.efi"), new byte[] {2});
        Path data = dir.resolve("data");
        int api = freePort();
        Path config = dir.resolve("metalcast.yaml");
        Files.writeString(config, "data_dir: '" + data + "'\napi:\n  listen: 127.0.0.1:" + api + "\nhttp:\n  listen: 127.0.0.1:" + freePort()
                + "\ntftp:\n  listen: 127.0.0.1:" + freePort() + "\nboot:\n  ipxe_dir: '" + ipxe + "'\n");
        return new Setup(config, data, api);
    }

    /** Starts {@code Main serve --config CONFIG} with the given heap limit and waits until its API answers on {@code port}. */
    static Process start(Path config, Path log, int port, String maxHeap) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.metalcast.engine.Main", "serve", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("engine exited " + p.exitValue() + ": " + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/MAAS/api/2.0/version/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return p;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        kill(p);
        throw new IOException("engine did not answer within 60 s: " + Files.readString(log));
    }

    /** SIGKILL, as a crash would end it. */
    static void kill(Process p) throws InterruptedException {
        if (p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
