package io.metalcast.engine.ephemeral.simplestreams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.BootServers;
import io.metalcast.engine.Engine;
import io.metalcast.engine.Main;
import io.metalcast.engine.config.EngineConfig;
import io.metalcast.engine.image.InitramfsReports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ephemeral imports through the API ({@code op=import}, {@code is_importing}, {@code stop_import}) and the
 * {@code import} command, from a fixture mirror in the images.maas.io format: the Synced resource shows the imported
 * version, sha256s and initramfs warnings, and the imported kernel is served by the HTTP boot server.
 */
class ImportApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();

    private static EngineConfig config(Path dir, String images) throws Exception {
        Path ipxe = Files.createDirectories(dir.resolve("ipxe"));
        Files.write(ipxe.resolve("undionly.kpxe"), new byte[] {1});
        Files.write(ipxe.resolve("ipxe.efi"), new byte[] {2});
        return EngineConfig.parse("data_dir: '" + dir.resolve("data") + "'\n"
                + "api: {listen: 127.0.0.1:0}\nhttp: {listen: 127.0.0.1:0}\ntftp: {listen: 127.0.0.1:0}\n"
                + "boot: {ipxe_dir: '" + ipxe + "'}\n" + images);
    }

    private HttpResponse<String> send(Engine e, String method, String path) throws Exception {
        String auth = e.operatorKey().authorization(Clock.systemUTC().instant().getEpochSecond(), UUID.randomUUID().toString().replace("-", ""));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.apiAddress().getPort() + path))
                .header("Authorization", auth);
        b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static JsonNode synced(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.get("name").asText().equals(name) && n.get("type").asText().equals("Synced")) {
                return n;
            }
        }
        throw new AssertionError("no Synced " + name + " in " + list);
    }

    @Test
    void theApiImportsFromTheConfiguredMirrorAndTheBootServerServesTheSet(@TempDir Path dir, @TempDir Path mirrorDir) throws Exception {
        try (MirrorFixture mirror = new MirrorFixture(mirrorDir);
             Engine e = new Engine(config(dir, "images:\n  source: '" + mirrorDir + "'\n  releases: [jammy]\n  arches: [amd64]\n"))) {
            e.start();
            assertEquals("false", send(e, "GET", "/MAAS/api/2.0/boot-resources/?op=is_importing").body());
            HttpResponse<String> started = send(e, "POST", "/MAAS/api/2.0/boot-resources/?op=import");
            assertEquals(200, started.statusCode(), started.body());
            assertEquals("Import of boot resources started\n", started.body());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (send(e, "GET", "/MAAS/api/2.0/boot-resources/?op=is_importing").body().equals("true") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("false", send(e, "GET", "/MAAS/api/2.0/boot-resources/?op=is_importing").body());
            assertTrue(e.imports().lastReport().orElseThrow().complete(), e.imports().lastReport().toString());
            assertEquals("No import of boot resources is running\n", send(e, "POST", "/MAAS/api/2.0/boot-resources/?op=stop_import").body());

            JsonNode list = JSON.readTree(send(e, "GET", "/MAAS/api/2.0/boot-resources/").body());
            JsonNode jammy = synced(list, "ubuntu/jammy");
            assertEquals("amd64/generic", jammy.get("architecture").asText());
            assertEquals("20250718", jammy.get("version").asText(), jammy.toString());
            assertTrue(jammy.get("warnings").size() > 0, "the fixture's initrd is no initramfs: " + jammy);
            assertEquals(jammy.get("warnings"), jammy.get("initramfs").get("warnings"));
            byte[] kernel = MirrorFixture.content("jammy", "amd64", "20250718", "generic", "boot-kernel");
            JsonNode read = JSON.readTree(send(e, "GET", jammy.get("resource_uri").asText()).body());
            assertEquals(Sha256.of(kernel), read.get("sets").get("20250718").get("files").get("boot-kernel").get("sha256").asText(),
                    read.toString());
            Path release = e.config().dataDir().resolve("ephemeral/ubuntu/amd64/jammy");
            assertTrue(Files.isSymbolicLink(release));
            assertTrue(Files.isRegularFile(release.resolve(InitramfsReports.FILE_NAME)), "written by the import's check");

            // A set placed by hand is scanned when first listed, and the report kept.
            Path noble = Files.createDirectories(e.config().dataDir().resolve("ephemeral/ubuntu/amd64/noble"));
            for (String f : new String[] {"boot-kernel", "boot-initrd", "squashfs"}) {
                Files.writeString(noble.resolve(f), f);
            }
            JsonNode hand = synced(JSON.readTree(send(e, "GET", "/MAAS/api/2.0/boot-resources/").body()), "ubuntu/noble");
            assertTrue(hand.get("warnings").size() > 0, hand.toString());
            assertFalse(hand.has("version"));
            assertTrue(Files.isRegularFile(noble.resolve(InitramfsReports.FILE_NAME)));

            String page = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.apiAddress().getPort() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(page.contains("imported version 20250718, boot-kernel sha256 " + Sha256.of(kernel).substring(0, 16)), page);
            assertTrue(page.contains("placed by hand"), page);
            assertTrue(page.contains(jammy.get("warnings").get(0).asText().replace("'", "&#39;").replace("\"", "&quot;")
                    .replace("<", "&lt;").replace(">", "&gt;")), page);

            // The imported kernel (its directory a symlink into .sets) through the policy and the HTTP boot server.
            try (BootServers servers = BootServers.start(e)) {
                HttpResponse<byte[]> got = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + servers.http().localAddress().getPort() + "/ephemeral/ubuntu/amd64/jammy/boot-kernel")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, got.statusCode());
                assertArrayEquals(kernel, got.body());
            }
        }
    }

    @Test
    void withoutASourceTheImportIsRefused(@TempDir Path dir) throws Exception {
        try (Engine e = new Engine(config(dir, ""))) {
            e.start();
            HttpResponse<String> r = send(e, "POST", "/MAAS/api/2.0/boot-resources/?op=import");
            assertEquals(400, r.statusCode());
            assertEquals("images.source: not set (expected: a simplestreams mirror URL or directory in the engine's config;"
                    + " or run ./metalcast import MIRROR)\n", r.body());
            assertEquals(405, send(e, "GET", "/MAAS/api/2.0/boot-resources/?op=import").statusCode());
        }
    }

    @Test
    void theImportCommandWritesIntoDataDirAndFailsWhenNothingIsUsable(@TempDir Path dir, @TempDir Path mirrorDir) throws Exception {
        try (MirrorFixture mirror = new MirrorFixture(mirrorDir)) {
            URI served = mirror.serve("/ephemeral-v3/stable");
            Path config = dir.resolve("metalcast.yaml");
            Files.writeString(config, "data_dir: '" + dir.resolve("data") + "'\n");
            assertEquals(0, Main.importImages(new String[] {"import", served.toString(), "--release", "noble", "--arch", "arm64",
                    "--config", config.toString()}));
            Path release = dir.resolve("data/ephemeral/ubuntu/arm64/noble");
            assertTrue(ImportedSet.read(release).isPresent());
            assertTrue(Files.isRegularFile(release.resolve(InitramfsReports.FILE_NAME)));
            assertEquals(1, Main.importImages(new String[] {"import", served.toString(), "--release", "focal", "--config", config.toString()}),
                    "focal is absent from the mirror");
            assertEquals(1, Main.importImages(new String[] {"import", dir.resolve("no-mirror").toString(), "--config", config.toString()}));
        }
    }
}
