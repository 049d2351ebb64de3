package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.Multipart;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NEXT = new AtomicInteger(1);

    private static final TestImages.Variant FOCAL = new TestImages.Variant("ubuntu", "20.04", "focal", true, true);
    private TestEngine t;
    private TestImages images;

    @BeforeAll
    void start(@TempDir Path tmp, @TempDir Path work) throws Exception {
        t = new TestEngine(tmp);
        images = new TestImages(work);
    }

    @AfterAll
    void stop() {
        t.close();
    }

    // ---- helpers

    private HttpResponse<String> upload(Multipart form) throws IOException, InterruptedException {
        return t.upload(form);
    }

    private static Multipart image(String name, byte[] content) {
        return new Multipart().field("name", name).field("architecture", "amd64/generic").field("title", "test image")
                .field("base_image", "ubuntu/jammy").field("filetype", "ddraw").content(content);
    }

    /** A distinct real Ubuntu jammy disk image of at least {@code size} bytes. */
    private byte[] image(int size) throws Exception {
        return images.raw(Math.max(size, images.diskSize() + 64), size);
    }

    private Machine newMachine() {
        int n = NEXT.getAndIncrement();
        return t.engine.machines().enlist(MacAddress.parse(String.format("52:54:00:00:%02x:%02x", n / 256, n % 256)), ClientArch.BIOS_X86);
    }

    private HttpResponse<String> deploy(String systemId, String body) throws IOException, InterruptedException {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/" + systemId + "/?op=deploy"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** An uploaded image, an ephemeral for it, and a machine Deploying it. */
    private Machine deploying(String imageName) throws Exception {
        assertEquals(201, upload(image(imageName, image(4096 + NEXT.get()))).statusCode());
        t.addEphemeral("ubuntu", "amd64", "jammy");
        Machine m = newMachine();
        HttpResponse<String> r = deploy(m.systemId(), "distro_series=" + imageName);
        assertEquals(200, r.statusCode(), r.body());
        return t.engine.machines().get(m.systemId()).orElseThrow();
    }

    private HttpResponse<String> webhook(Machine m, String authorization, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/metadata/status/" + m.systemId()))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return t.send(b.build());
    }

    private static String auth(Machine m, boolean encodeAmpersand) {
        return "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"" + m.row().consumerKey()
                + "\", oauth_token=\"" + m.row().tokenKey() + "\", oauth_signature=\"" + (encodeAmpersand ? "%26" : "&")
                + m.row().tokenSecret() + "\", oauth_nonce=\"1234\", oauth_timestamp=\"1700000000\"";
    }

    private static String event(String name, String type, String result) {
        return "{\"name\": \"" + name + "\", \"event_type\": \"" + type + "\", \"origin\": \"curtin\", \"description\": \"step\","
                + " \"timestamp\": 1700000000.5" + (result == null ? "" : ", \"result\": \"" + result + "\"") + "}";
    }

    private MachineStatus status(Machine m) {
        return t.engine.machines().get(m.systemId()).orElseThrow().status();
    }

    // ---- uploads

    @Test
    void uploadStoresARawImageAndAnswersWithItsSets() throws Exception {
        byte[] content = image(3 * 1024 * 1024 + 17);
        String sha = Sha256.of(content);
        HttpResponse<String> r = upload(image("custom/three-mib", content));
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode j = JSON.readTree(r.body());
        assertEquals("Uploaded", j.get("type").asText());
        assertEquals("custom/three-mib", j.get("name").asText());
        assertEquals("amd64/generic", j.get("architecture").asText());
        assertEquals("ubuntu/jammy", j.get("base_image").asText());
        JsonNode set = j.get("sets").get("20261127");
        assertEquals("uploaded", set.get("label").asText());
        assertTrue(set.get("complete").asBoolean());
        JsonNode file = set.get("files").get("root-dd.raw");
        assertEquals(sha, file.get("sha256").asText());
        assertEquals(content.length, file.get("size").asLong());
        assertTrue(file.get("complete").asBoolean());
        Path stored = t.engine.config().dataDir().resolve("files").resolve(sha);
        assertEquals(content.length, Files.size(stored));
        try (Stream<Path> left = Files.list(t.engine.config().dataDir().resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "nothing left in tmp");
        }

        long id = j.get("id").asLong();
        JsonNode read = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/" + id + "/").body());
        assertEquals(sha, read.get("sets").get("20261127").get("files").get("root-dd.raw").get("sha256").asText());

        JsonNode list = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/").body());
        JsonNode listed = null;
        for (JsonNode n : list) {
            if (n.get("id").asLong() == id) {
                listed = n;
            }
        }
        assertTrue(listed != null && !listed.has("sets"), list.toString());

        HttpResponse<String> again = upload(image("custom/three-mib", content));
        assertEquals(201, again.statusCode());
        JsonNode sets = JSON.readTree(again.body()).get("sets");
        assertTrue(sets.has("20261127") && sets.has("20261127.1"), sets.toString());
        assertEquals(id, JSON.readTree(again.body()).get("id").asLong());
    }

    @Test
    void uploadAcceptsAChunkedBody() throws Exception {
        byte[] content = image(9 * 1024 * 1024 + 3);
        byte[] body = image("custom/chunked", content).body();
        HttpResponse<String> r = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", new Multipart().contentType())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build());
        assertEquals(201, r.statusCode(), r.body());
        String sha = Sha256.of(content);
        assertEquals(sha, JSON.readTree(r.body()).get("sets").get("20261127").get("files").get("root-dd.raw").get("sha256").asText());
        assertEquals(content.length, Files.size(t.engine.config().dataDir().resolve("files").resolve(sha)));
    }

    static Stream<Arguments> rejectedUploads() {
        byte[] c = {1, 2, 3};
        return Stream.of(
                Arguments.of(new Multipart().field("architecture", "amd64/generic").field("base_image", "ubuntu/jammy")
                        .field("filetype", "ddraw").content(c), "name: missing (expected: a name such as custom/sample)"),
                Arguments.of(new Multipart().field("name", "custom/x").field("base_image", "ubuntu/jammy").field("filetype", "ddraw")
                        .content(c), "architecture: missing (expected: <arch>/<subarch> such as amd64/generic)"),
                Arguments.of(new Multipart().field("name", "custom/x").field("architecture", "amd64/generic").field("filetype", "ddraw")
                        .content(c), "base_image: missing (expected: <os>/<series> such as ubuntu/jammy for a custom/ image)"),
                Arguments.of(image("custom/x", c).field("base_image", "debian/bookworm"),
                        "base_image: 'debian/bookworm' (expected: <os>/<series> with os one of centos, ol, rhel, ubuntu)"),
                Arguments.of(image("custom/x", c).field("base_image", "jammy"),
                        "base_image: 'jammy' (expected: <os>/<series> with os one of centos, ol, rhel, ubuntu)"),
                Arguments.of(image("custom/x", c).field("filetype", "zip"),
                        "filetype: 'zip' (expected: one of tgz, tbz, txz, ddtgz, ddtar, ddtbz, ddtxz, ddbz2, ddgz, ddxz, ddraw, ddzst)"),
                Arguments.of(image("custom/x", c).field("filetype", "iso"),
                        "filetype: 'iso' (expected: one of tgz, tbz, txz, ddtgz, ddtar, ddtbz, ddtxz, ddbz2, ddgz, ddxz, ddraw, ddzst)"),
                Arguments.of(image("custom/x", null),
                        "sha256: missing (expected: the content's sha256 (64 hex) with its size, or the content itself as a part named content)"),
                Arguments.of(image("custom/x", null).field("sha256", "a".repeat(64)),
                        "size: missing (expected: the content's size in bytes with its sha256, or the content itself as a part named content)"),
                Arguments.of(image("custom/x", null).field("sha256", "a".repeat(64)).field("size", "0"), "size: '0' (expected: 1 or more bytes)"),
                Arguments.of(image("custom/x", new byte[0]), "content: '0 bytes' (expected: a non-empty image file)"),
                Arguments.of(image("custom/bad name", c), "name: 'custom/bad name' (expected: <os>/<name> of letters, digits and ._-)"),
                Arguments.of(image("plan9/x", c),
                        "name: 'plan9/x' (expected: an os of centos, custom, esxi, ol, rhel, ubuntu, windows before the /)"),
                Arguments.of(image("custom/x", c).field("architecture", "amd64"),
                        "architecture: 'amd64' (expected: <arch>/<subarch> such as amd64/generic)"),
                Arguments.of(image("custom/x", c).field("sha256", "0".repeat(64)),
                        "sha256: '" + "0".repeat(64) + "' (expected: 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81,"
                                + " the sha256 of the content sent)"));
    }

    @ParameterizedTest
    @MethodSource("rejectedUploads")
    void refusesBadUploadsNamingTheField(Multipart form, String message) throws Exception {
        HttpResponse<String> r = upload(form);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(message, r.body().trim());
        JsonNode list = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/").body());
        for (JsonNode n : list) {
            assertFalse(n.get("name").asText().equals("custom/x"), "nothing partial is listed");
        }
    }

    @Test
    void refusesAnUploadThatIsNotMultipart() throws Exception {
        HttpResponse<String> r = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("name=custom/x")).build());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().startsWith("Content-Type: 'application/x-www-form-urlencoded'"), r.body());
        assertEquals(200, t.get("/MAAS/api/2.0/boot-resources/").statusCode(), "server still answers");
    }

    // ---- machines and deploy

    @Test
    void listsAndReadsMachinesInMaasShape() throws Exception {
        Machine m = newMachine();
        JsonNode list = JSON.readTree(t.get("/MAAS/api/2.0/machines/").body());
        boolean found = false;
        for (JsonNode n : list) {
            found |= n.get("system_id").asText().equals(m.systemId());
        }
        assertTrue(found);
        JsonNode j = JSON.readTree(t.get("/MAAS/api/2.0/machines/" + m.systemId() + "/").body());
        assertEquals(0, j.get("status").asInt());
        assertEquals("New", j.get("status_name").asText());
        assertEquals("node-" + m.systemId(), j.get("hostname").asText());
        assertEquals(m.row().mac(), j.get("boot_interface").get("mac_address").asText());
        assertEquals(m.row().mac(), j.get("interface_set").get(0).get("mac_address").asText());
        assertEquals("/MAAS/api/2.0/machines/" + m.systemId() + "/", j.get("resource_uri").asText());
        assertTrue(m.systemId().matches("[a-z0-9]{6}"));
        assertEquals(404, t.get("/MAAS/api/2.0/machines/zzzzzz/").statusCode());
    }

    @Test
    void deployNeedsAnImageAndItsEphemeral() throws Exception {
        assertEquals(201, upload(image("custom/noeph", image(1000))).statusCode());
        Machine m = newMachine();
        HttpResponse<String> noImage = deploy(m.systemId(), "distro_series=custom/nothing");
        assertEquals(400, noImage.statusCode());
        assertEquals("distro_series: 'custom/nothing' (expected: an uploaded image for amd64 (see boot-resources))", noImage.body().trim());
        // base release with no ephemeral directory: refused with a clear reason, machine untouched
        assertEquals(201, upload(image("custom/focal-based", images.raw(FOCAL, images.diskSize() + 64, 1001)).field("base_image", "ubuntu/focal")).statusCode());
        HttpResponse<String> noEph = deploy(m.systemId(), "distro_series=custom/focal-based");
        assertEquals(409, noEph.statusCode());
        assertEquals("no ephemeral image for ubuntu/focal amd64: import it first (./metalcast import MIRROR --release focal)", noEph.body().trim());
        assertEquals(MachineStatus.NEW, status(m));

        t.addEphemeral("ubuntu", "amd64", "focal");
        HttpResponse<String> ok = deploy(m.systemId(), "osystem=custom&distro_series=focal-based");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode j = JSON.readTree(ok.body());
        assertEquals(9, j.get("status").asInt());
        assertEquals("Deploying", j.get("status_name").asText());
        assertEquals("custom", j.get("osystem").asText());
        assertEquals("focal-based", j.get("distro_series").asText());
        Machine d = t.engine.machines().get(m.systemId()).orElseThrow();
        assertTrue(d.row().tokenKey().length() >= 18 && d.row().tokenSecret().length() >= 18 && d.row().consumerKey().length() >= 18);

        HttpResponse<String> twice = deploy(m.systemId(), "distro_series=custom/focal-based");
        assertEquals(409, twice.statusCode());
        assertEquals(404, deploy("nosuch", "distro_series=custom/focal-based").statusCode());
    }

    @Test
    void deployAcceptsTheMaasCliBase64Multipart() throws Exception {
        assertEquals(201, upload(image("custom/cli", image(999))).statusCode());
        t.addEphemeral("ubuntu", "amd64", "jammy");
        Machine m = newMachine();
        String b = "===============1234==";
        String body = "--" + b + "\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: form-data; name=\"distro_series\"\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString("custom/cli".getBytes(StandardCharsets.UTF_8)) + "\r\n--" + b + "--\r\n";
        HttpResponse<String> r = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/" + m.systemId() + "/?op=deploy"))
                .header("Content-Type", "multipart/form-data; boundary=\"" + b + "\"").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(MachineStatus.DEPLOYING, status(m));
    }

    // ---- preseed

    @Test
    void preseedOnlyWithTheRightTokenWhileDeploying() throws Exception {
        Machine fresh = newMachine();
        assertEquals(403, t.get("/MAAS/metadata/latest/by-id/" + fresh.systemId() + "/abc/?op=get_preseed").statusCode());

        byte[] content = image(5000);
        assertEquals(201, upload(image("custom/preseeded", content)).statusCode());
        t.addEphemeral("ubuntu", "amd64", "jammy");
        Machine m = newMachine();
        assertEquals(200, deploy(m.systemId(), "distro_series=custom/preseeded").statusCode());
        m = t.engine.machines().get(m.systemId()).orElseThrow();
        assertEquals(403, t.get("/MAAS/metadata/latest/by-id/" + m.systemId() + "/wrongtoken/?op=get_preseed").statusCode());
        assertEquals(403, t.get("/MAAS/metadata/latest/by-id/" + fresh.systemId() + "/" + m.row().tokenKey() + "/?op=get_preseed").statusCode(),
                "another machine's token");

        HttpResponse<String> r = t.get("/MAAS/metadata/latest/by-id/" + m.systemId() + "/" + m.row().tokenKey() + "/?op=get_preseed");
        assertEquals(200, r.statusCode(), r.body());
        CurtinConfig config = CurtinYaml.parse(r.body());
        Source s = config.sources().get("00_image");
        String sha = Sha256.of(content);
        assertEquals("dd-raw", s.type());
        assertEquals("http://127.0.0.1:" + TestEngine.HTTP_PORT + "/images/" + sha.substring(0, 16)
                + "/custom/amd64/generic/preseeded/uploaded/root-dd.raw", s.uri());
        assertEquals(sha, s.sha256());
        assertEquals(content.length, s.size());
        WebhookReporter w = config.reporting().get("maas");
        assertEquals(t.api() + "/MAAS/metadata/status/" + m.systemId(), w.endpoint());
        assertEquals(m.row().consumerKey(), w.consumerKey());
        assertEquals(m.row().tokenKey(), w.tokenKey());
        assertEquals(m.row().tokenSecret(), w.tokenSecret());
        assertEquals(m.hostname() + "\n", config.writeFiles().get("hostname").content());
        assertEquals("/etc/hostname", config.writeFiles().get("hostname").path());
        assertEquals("/tmp/install.log", config.installLogFile());

        // once deployed, the preseed is closed again
        assertEquals(204, webhook(m, auth(m, true), event("cmd-install", "finish", "SUCCESS")).statusCode());
        assertEquals(403, t.get("/MAAS/metadata/latest/by-id/" + m.systemId() + "/" + m.row().tokenKey() + "/?op=get_preseed").statusCode());
    }

    // ---- webhook

    @Test
    void webhookChecksCredentialsThenBody() throws Exception {
        Machine m = deploying("custom/hook-auth");
        Machine other = newMachine();
        assertEquals(401, webhook(m, null, event("cmd-install", "start", null)).statusCode());
        assertEquals(401, webhook(m, "Basic abc", event("cmd-install", "start", null)).statusCode());
        String wrongSecret = auth(m, false).replace(m.row().tokenSecret(), "nottherightsecret");
        assertEquals(401, webhook(m, wrongSecret, event("cmd-install", "start", null)).statusCode());
        assertEquals(401, webhook(other, auth(m, false), event("cmd-install", "start", null)).statusCode(), "credentials of another machine");
        HttpResponse<String> notJson = webhook(m, auth(m, false), "this is not json");
        assertEquals(400, notJson.statusCode());
        assertEquals(400, webhook(m, auth(m, false), "{\"event_type\": \"start\"}").statusCode(), "no name");
        assertEquals(400, webhook(m, auth(m, false), "{\"name\": \"cmd-install\"}").statusCode(), "no event_type");
        HttpResponse<String> ok = webhook(m, auth(m, false), event("cmd-install", "start", null));
        assertEquals(204, ok.statusCode());
        assertTrue(ok.headers().firstValue("Date").isPresent());
        assertEquals(MachineStatus.DEPLOYING, status(m));
    }

    @Test
    void eventSequenceEndsDeployed() throws Exception {
        Machine m = deploying("custom/hook-ok");
        String a = auth(m, true);
        for (String[] e : new String[][] {
                {"cmd-install", "start", null},
                {"cmd-install/stage-partitioning", "start", null},
                {"cmd-install/stage-partitioning/builtin/cmd-block-meta", "finish", "SUCCESS"},
                {"cmd-install/stage-partitioning", "finish", "SUCCESS"},
                {"cmd-install/stage-extract", "start", null},
                {"cmd-install/stage-extract/builtin/cmd-extract", "finish", "WARN"},
                {"cmd-install/stage-extract", "finish", "SUCCESS"}}) {
            assertEquals(204, webhook(m, a, event(e[0], e[1], e[2])).statusCode());
            assertEquals(MachineStatus.DEPLOYING, status(m), e[0]);
        }
        assertEquals(204, webhook(m, a, event("cmd-install", "finish", "SUCCESS")).statusCode());
        assertEquals(MachineStatus.DEPLOYED, status(m));
        assertEquals("state", t.engine.machines().events(m.systemId(), 1).get(0).type());
        assertEquals("Deployed", t.engine.machines().events(m.systemId(), 1).get(0).name());
    }

    @Test
    void stageFailureFailsTheDeployment() throws Exception {
        Machine m = deploying("custom/hook-fail");
        String a = auth(m, false);
        assertEquals(204, webhook(m, a, event("cmd-install/stage-extract/builtin/cmd-extract", "finish", "FAIL")).statusCode());
        assertEquals(MachineStatus.DEPLOYING, status(m), "a nested step alone does not decide");
        assertEquals(204, webhook(m, a, event("cmd-install/stage-extract", "finish", "FAIL")).statusCode());
        assertEquals(MachineStatus.FAILED_DEPLOYMENT, status(m));
        // a later success does not revive it
        assertEquals(204, webhook(m, a, event("cmd-install", "finish", "SUCCESS")).statusCode());
        assertEquals(MachineStatus.FAILED_DEPLOYMENT, status(m));
    }

    @Test
    void deadlinePassingFailsTheDeploymentAndEventsPushItOut() throws Exception {
        Machine m = deploying("custom/deadline");
        Duration timeout = t.engine.machines().deployTimeout();
        t.clock.advance(timeout.minusSeconds(60));
        assertEquals(204, webhook(m, auth(m, false), event("cmd-install/stage-extract", "start", null)).statusCode());
        t.clock.advance(Duration.ofSeconds(120));
        t.engine.machines().expireOverdue();
        assertEquals(MachineStatus.DEPLOYING, status(m), "the event restarted the timer");
        t.clock.advance(timeout);
        List<Machine> expired = t.engine.machines().expireOverdue();
        assertTrue(expired.stream().anyMatch(x -> x.systemId().equals(m.systemId())));
        assertEquals(MachineStatus.FAILED_DEPLOYMENT, status(m));
        assertTrue(t.engine.machines().events(m.systemId(), 1).get(0).description().contains("timed out"));
    }

    // ---- status page, metrics, errors

    @Test
    void statusPageListsMachinesAndResources() throws Exception {
        Machine m = newMachine();
        assertEquals(201, upload(image("custom/on-page", image(300))).statusCode());
        HttpResponse<String> r = t.get("/");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(r.body().contains("http-equiv=\"refresh\""));
        assertTrue(r.body().contains(m.hostname()) && r.body().contains(m.systemId()) && r.body().contains(m.row().mac()));
        assertTrue(r.body().contains("custom/on-page"));
    }

    @Test
    void metricsCarryMaasGaugeNames() throws Exception {
        Machine m = deploying("custom/metered");
        assertEquals(204, webhook(m, auth(m, false), event("cmd-install", "finish", "SUCCESS")).statusCode());
        for (String path : List.of("/metrics", "/MAAS/metrics")) {
            HttpResponse<String> r = t.get(path);
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("maas_custom_static_images_uploaded{base_image=\"ubuntu/jammy\",file_type=\"ddraw\"}"), r.body());
            assertTrue(r.body().contains("maas_custom_static_images_deployed"), r.body());
            assertTrue(r.body().contains("machines{state=\"Deployed\"}"), r.body());
            assertTrue(r.body().contains("api_requests_total{route=\"upload\",status=\"201\"}"), r.body());
            assertTrue(r.body().contains("boot_resources_uploads_total{result=\"stored\"}"), r.body());
        }
    }

    @Test
    void unknownPathsWrongMethodsAndBadOps() throws Exception {
        assertEquals(404, t.get("/nothing/here").statusCode());
        assertEquals(404, t.get("/MAAS/api/2.0/machines/../../etc/passwd").statusCode());
        assertEquals(404, t.get("/MAAS/api/2.0/boot-resources/999999/").statusCode());
        HttpResponse<String> del = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/")).DELETE().build());
        assertEquals(405, del.statusCode());
        assertEquals("GET", del.headers().firstValue("Allow").orElse(""));
        assertEquals(405, t.get("/MAAS/metadata/status/abcdef").statusCode());
        Machine m = newMachine();
        HttpResponse<String> op = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/" + m.systemId() + "/?op=explode"))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(400, op.statusCode());
        assertEquals("op: 'explode' (expected: deploy)", op.body().trim());
        assertEquals(400, t.get("/MAAS/api/2.0/boot-resources/?type=weird").statusCode());
    }

    @Test
    void bodiesOverTheLimitAreRefusedExceptUploads() throws Exception {
        Machine m = newMachine();
        HttpResponse<String> r = deploy(m.systemId(), "distro_series=" + "x".repeat(ApiServer.MAX_BODY + 1));
        assertEquals(413, r.statusCode());
        assertEquals(200, t.get("/MAAS/api/2.0/machines/").statusCode());
    }
}
