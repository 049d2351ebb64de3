package io.metalcast.engine;

import io.metalcast.engine.api.ApiLimits;
import io.metalcast.engine.config.EngineConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;

/** A real engine in a temporary data directory, its API on a free loopback port. */
public final class TestEngine implements AutoCloseable {
    public static final int HTTP_PORT = 15248;
    public final Path dataDir;
    public final TestClock clock = new TestClock(Instant.parse("2026-11-27T12:00:00Z"));
    public final Engine engine;
    public final HttpClient client = HttpClient.newHttpClient();

    public TestEngine(Path dataDir) throws InterruptedException, IOException {
        this(dataDir, ApiLimits.DEFAULTS);
    }

    /** With the API server's client timeouts given (shortened by timeout tests). */
    public TestEngine(Path dataDir, ApiLimits limits) throws InterruptedException, IOException {
        this.dataDir = dataDir;
        Path ipxe = Files.createDirectories(dataDir.resolve("ipxe"));
        Files.write(ipxe.resolve("undionly.kpxe"), new byte[] {1, 2, 3});
        Files.write(ipxe.resolve("ipxe.efi"), new byte[] {4, 5, 6});
        EngineConfig config = EngineConfig.parse("data_dir: '" + dataDir.resolve("data") + "'\n"
                + "api:\n  listen: 127.0.0.1:0\nhttp:\n  listen: 127.0.0.1:" + HTTP_PORT + "\n"
                + "boot:\n  ipxe_dir: '" + ipxe + "'\n");
        this.engine = new Engine(config, clock, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), limits);
        engine.start();
    }

    /** The base URL of the API, {@code http://127.0.0.1:<port>}. */
    public String api() {
        return "http://127.0.0.1:" + engine.apiAddress().getPort();
    }

    /** Puts an ephemeral image for {@code os/arch/release} under the data directory. */
    public void addEphemeral(String os, String arch, String release) throws IOException {
        Path dir = Files.createDirectories(engine.config().dataDir().resolve("ephemeral").resolve(os).resolve(arch).resolve(release));
        Files.writeString(dir.resolve("boot-kernel"), "kernel");
        Files.writeString(dir.resolve("boot-initrd"), "initrd");
        Files.writeString(dir.resolve("squashfs"), "squashfs");
    }

    /** A GET signed with the operator's key (as every API call needs). */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(api() + path)).GET().build());
    }

    /** {@code POST /MAAS/api/2.0/boot-resources/} with a multipart form, signed. */
    public HttpResponse<String> upload(Multipart form) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(api() + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", form.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(form.body())).build());
    }

    /** Sends the request signed with the operator's key, timestamped by the engine's clock, with a fresh nonce. */
    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        HttpRequest signed = HttpRequest.newBuilder(request, (k, v) -> true).header("Authorization", authorization()).build();
        return unsigned(signed);
    }

    public HttpResponse<String> unsigned(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** A fresh Authorization header for the operator's key. */
    public String authorization() {
        return engine.operatorKey().authorization(clock.instant().getEpochSecond(), UUID.randomUUID().toString().replace("-", ""));
    }

    @Override
    public void close() {
        engine.close();
    }
}
