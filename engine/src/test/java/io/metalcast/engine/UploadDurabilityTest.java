package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.client.MaasApi;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kill: the engine runs as a child JVM ({@code Main serve}), receives half of a chunked upload plus part of one
 * more chunk, is killed with SIGKILL, and is started again on the same data directory. The resource must be listed as
 * incomplete with exactly the whole chunks received, and the client must be able to finish it.
 */
class UploadDurabilityTest {
    private static final int MIB = 1 << 20;

    @Test
    void aKilledEngineKeepsWholeChunksAndTheClientFinishesAfterARestart(@TempDir Path tmp) throws Exception {
        Path ipxe = Files.createDirectories(tmp.resolve("ipxe"));
        Files.write(ipxe.resolve("undionly.kpxe"), new byte[] {1});
        Files.write(ipxe.resolve("ipxe.efi"), new byte[] {2});
        Path data = tmp.resolve("data");
        int api = freePort();
        Path config = tmp.resolve("metalcast.yaml");
        Files.writeString(config, "data_dir: '" + data + "'\napi:\n  listen: 127.0.0.1:" + api + "\nhttp:\n  listen: 127.0.0.1:" + freePort()
                + "\ntftp:\n  listen: 127.0.0.1:" + freePort() + "\nboot:\n  ipxe_dir: '" + ipxe + "'\n");
        byte[] content = new TestImages(Files.createDirectories(tmp.resolve("images"))).raw(6 * MaasApi.CHUNK + 12345, 5);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        Path image = tmp.resolve("big.img");
        Files.write(image, content);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("name", "custom/durable");
        form.put("architecture", "amd64/generic");
        form.put("base_image", "ubuntu/jammy");
        form.put("filetype", "ddraw");
        form.put("sha256", sha);
        form.put("size", Integer.toString(content.length));

        Process engine = start(config, tmp.resolve("engine-1.log"), api);
        long id;
        try {
            ApiKey key = ApiKey.parse(Files.readString(data.resolve(Engine.OPERATOR_KEY_FILE)));
            MaasApi client = new MaasApi("http://127.0.0.1:" + api + "/MAAS/", key, Clock.systemUTC());
            JsonNode created = client.post("boot-resources/", form, 201);
            id = created.get("id").asLong();
            String upload = created.get("sets").elements().next().get("files").elements().next().get("upload_uri").asText();
            String path = upload.substring("/MAAS/api/2.0/".length());
            for (int i = 0; i < 3; i++) {
                client.put(path, Arrays.copyOfRange(content, i * MaasApi.CHUNK, (i + 1) * MaasApi.CHUNK), MaasApi.CHUNK);
            }
            // A fourth chunk half sent when the engine dies.
            try (Raw raw = new Raw(api)) {
                raw.write(("PUT " + upload + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                        + MaasApi.CHUNK + "\r\nAuthorization: " + key.authorization(Clock.systemUTC().instant().getEpochSecond(), "half")
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                raw.write(Arrays.copyOfRange(content, 3 * MaasApi.CHUNK, 3 * MaasApi.CHUNK + 2 * MIB));
                Thread.sleep(300);
                kill(engine);
            }
        } finally {
            kill(engine);
        }

        Process again = start(config, tmp.resolve("engine-2.log"), api);
        try {
            ApiKey key = ApiKey.parse(Files.readString(data.resolve(Engine.OPERATOR_KEY_FILE)));
            MaasApi client = new MaasApi("http://127.0.0.1:" + api + "/MAAS/", key, Clock.systemUTC());
            JsonNode listed = client.get("boot-resources/" + id + "/");
            JsonNode set = listed.get("sets").elements().next();
            JsonNode file = set.get("files").elements().next();
            assertFalse(set.get("complete").asBoolean(), listed.toString());
            assertFalse(file.get("complete").asBoolean(), "never complete after a kill");
            assertEquals(3L * MaasApi.CHUNK, file.get("uploaded_size").asLong(), "whole chunks only; the cut-off one is dropped");
            assertFalse(Files.exists(data.resolve("files").resolve(sha)));
            assertTrue(client.get("boot-resources/").toString().contains("custom/durable"));

            long[] resumedFrom = {-1};
            JsonNode done = client.createBootResource(form, image, (sent, total) -> {
                if (resumedFrom[0] < 0) {
                    resumedFrom[0] = sent;
                }
            });
            assertEquals(3L * MaasApi.CHUNK, resumedFrom[0], "the client resumes where the server stopped");
            assertEquals(id, done.get("id").asLong());
            assertEquals(1, done.get("sets").size(), "no second version: the same upload was finished");
            JsonNode f = done.get("sets").elements().next().get("files").elements().next();
            assertTrue(f.get("complete").asBoolean(), done.toString());
            assertArrayEquals(content, Files.readAllBytes(data.resolve("files").resolve(sha)));
            try (Stream<Path> left = Files.list(data.resolve("tmp"))) {
                assertEquals(List.of(), left.toList());
            }
        } finally {
            kill(again);
        }
    }

    private static Process start(Path config, Path log, int port) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
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

    private static void kill(Process p) throws InterruptedException {
        if (p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
