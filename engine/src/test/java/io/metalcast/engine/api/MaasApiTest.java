package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.Multipart;
import io.metalcast.engine.Raw;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.client.MaasApi;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The MAAS API 2.0 surface over real HTTP with MAAS-signed requests: keys, chunked uploads, delete, describe. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MaasApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NEXT = new AtomicInteger(1);
    private static final int MIB = 1 << 20;

    private TestEngine t;
    private Path work;
    private TestImages images;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        t = new TestEngine(tmp.resolve("engine"));
        work = Files.createDirectories(tmp.resolve("work"));
        images = new TestImages(Files.createDirectories(tmp.resolve("images")));
    }

    @AfterAll
    void stop() {
        t.close();
    }

    private MaasApi client() {
        return new MaasApi(t.api() + "/MAAS/", t.engine.operatorKey(), t.clock);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A distinct real Ubuntu jammy raw disk image of {@code size} bytes, or a little more than the disk when that is smaller. */
    private byte[] image(int size, long seed) throws Exception {
        return images.raw(Math.max(size, images.diskSize() + 64), seed);
    }

    private Map<String, String> form(String name, byte[] content, String filetype) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("name", name);
        f.put("architecture", "amd64/generic");
        f.put("title", "t");
        f.put("base_image", "ubuntu/jammy");
        f.put("filetype", filetype);
        f.put("sha256", Sha256.of(content));
        f.put("size", Integer.toString(content.length));
        return f;
    }

    private HttpResponse<String> put(String uri, byte[] chunk) throws Exception {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + uri)).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk)).build());
    }

    private JsonNode read(long id) throws Exception {
        HttpResponse<String> r = t.get("/MAAS/api/2.0/boot-resources/" + id + "/");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode onlyFile(JsonNode resource) {
        JsonNode sets = resource.get("sets");
        String newest = null;
        for (var it = sets.fieldNames(); it.hasNext(); ) {
            newest = it.next();
        }
        return sets.get(newest).get("files").elements().next();
    }

    private List<Path> tmpFiles() throws Exception {
        try (Stream<Path> s = Files.list(t.engine.config().dataDir().resolve("tmp"))) {
            return s.toList();
        }
    }

    // ---- keys

    static Stream<Arguments> refusedSignatures() {
        return Stream.of(
                Arguments.of("none", "Authorization: missing (expected: OAuth PLAINTEXT signed with an API key; ./metalcast apikey create prints one)"),
                Arguments.of("basic", "Authorization: not OAuth PLAINTEXT with oauth_consumer_key, oauth_token and oauth_signature"
                        + " (expected: a request signed as the maas CLI signs it)"),
                Arguments.of("wrong-secret", "Authorization Error: Invalid API key."),
                Arguments.of("wrong-consumer", "Authorization Error: Invalid API key."),
                Arguments.of("unknown-token", "Authorization Error: Invalid API key."),
                Arguments.of("stale", "oauth_timestamp: '1795781699' (expected: within 300 s of the server's time 1795780800)"),
                Arguments.of("future", "oauth_timestamp: '1795781101' (expected: within 300 s of the server's time 1795780800)"),
                Arguments.of("no-nonce", "oauth_nonce: 'null' (expected: 1..255 characters)"));
    }

    @ParameterizedTest
    @MethodSource("refusedSignatures")
    void writesAndReadsNeedAValidSignature(String how, String message) throws Exception {
        ApiKey k = t.engine.operatorKey();
        long now = t.clock.instant().getEpochSecond();
        String header = switch (how) {
            case "none" -> null;
            case "basic" -> "Basic YWRtaW46YWRtaW4=";
            case "wrong-secret" -> new ApiKey(k.consumerKey(), k.tokenKey(), "notthesecret").authorization(now, "n1" + how);
            case "wrong-consumer" -> new ApiKey("other", k.tokenKey(), k.tokenSecret()).authorization(now, "n1" + how);
            case "unknown-token" -> new ApiKey(k.consumerKey(), "nosuchtoken", k.tokenSecret()).authorization(now, "n1" + how);
            case "stale" -> k.authorization(now - 301 + 1200, "n1" + how).replace(Long.toString(now + 899), "1795781699");
            case "future" -> k.authorization(now + 301, "n1" + how);
            case "no-nonce" -> k.authorization(now, "x").replace(", oauth_nonce=\"x\"", "");
            default -> throw new IllegalArgumentException(how);
        };
        if (how.equals("stale")) {
            header = k.authorization(now - 301, "n1" + how);
        }
        for (HttpRequest.Builder b : List.of(
                HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/")).GET(),
                HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/")).header("Content-Type", new Multipart().contentType())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new Multipart().field("name", "custom/nokey").body())))) {
            if (header != null) {
                b.header("Authorization", header.replace("n1" + how, "n" + NEXT.incrementAndGet()));
            }
            HttpResponse<String> r = t.unsigned(b.build());
            assertEquals(401, r.statusCode(), how);
            String expected = how.equals("stale") ? "oauth_timestamp: '" + (now - 301) + "' (expected: within 300 s of the server's time " + now + ")"
                    : how.equals("future") ? "oauth_timestamp: '" + (now + 301) + "' (expected: within 300 s of the server's time " + now + ")"
                    : message;
            assertEquals(expected, r.body().trim(), how);
        }
    }

    @Test
    void aNonceIsRefusedTheSecondTimeAndBothSignatureEncodingsPass() throws Exception {
        ApiKey k = t.engine.operatorKey();
        long now = t.clock.instant().getEpochSecond();
        String header = k.authorization(now, "once-only");
        HttpRequest req = HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/")).header("Authorization", header).build();
        assertEquals(200, t.unsigned(req).statusCode());
        HttpResponse<String> replay = t.unsigned(req);
        assertEquals(401, replay.statusCode());
        assertEquals("oauth_nonce: 'once-only' (expected: a nonce not used before with this key)", replay.body().trim());
        String plainAmp = k.authorization(now, "amp").replace("%26", "&");
        assertEquals(200, t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/"))
                .header("Authorization", plainAmp).build()).statusCode());
    }

    @Test
    void noncesAreForgottenAfterTheWindow() throws Exception {
        ApiKeys keys = t.engine.apiKeys();
        ApiKey k = keys.create("pruner");
        long now = t.clock.instant().getEpochSecond();
        keys.authenticate(new ApiKeys.Signed(k.consumerKey(), k.tokenKey(), "&" + k.tokenSecret(), "prune-me", Long.toString(now)));
        long before = keys.rememberedNonces();
        assertTrue(before >= 1);
        t.clock.advance(ApiKeys.WINDOW.plusSeconds(1));
        keys.prune();
        assertEquals(0, keys.rememberedNonces(), "every nonce is older than the window now");
    }

    @Test
    void openRoutesNeedNoKey() throws Exception {
        for (String path : List.of("/", "/metrics", "/MAAS/metrics", "/MAAS/api/2.0/describe/", "/MAAS/api/2.0/version/")) {
            HttpResponse<String> r = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + path)).GET().build());
            assertEquals(200, r.statusCode(), path);
        }
        assertEquals(401, t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/")).GET().build()).statusCode());
    }

    @Test
    void whoamiAndDescribeAreWhatMaasLoginNeeds() throws Exception {
        HttpResponse<String> me = t.get("/MAAS/api/2.0/users/?op=whoami");
        assertEquals(200, me.statusCode());
        assertEquals("admin", JSON.readTree(me.body()).get("username").asText());
        HttpResponse<String> d = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/describe/")).GET().build());
        assertEquals("application/json", d.headers().firstValue("Content-Type").orElse(""), "exactly, or maas login fails");
        JsonNode j = JSON.readTree(d.body());
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        j.get("resources").forEach(r -> byName.put(r.get("name").asText(), r));
        JsonNode create = null;
        for (JsonNode a : byName.get("BootResourcesHandler").get("auth").get("actions")) {
            if (a.get("name").asText().equals("create")) {
                create = a;
            }
        }
        assertTrue(create != null && create.has("op") && create.get("op").isNull() && create.get("doc").asText().contains("\n\n:param name:"));
        assertEquals("/MAAS/api/2.0/machines/{system_id}/", byName.get("MachineHandler").get("auth").get("path").asText());
        assertEquals(t.api() + "/MAAS/api/2.0/machines/{system_id}/", byName.get("MachineHandler").get("auth").get("uri").asText());
        assertTrue(byName.get("MachineHandler").get("anon").isNull());
    }

    // ---- chunked uploads

    @Test
    void chunkedUploadAppendsInOrderAndCompletesWithTheRightSha() throws Exception {
        byte[] content = image(10 * MIB + 5, 1);
        Path file = work.resolve("ten.img");
        Files.write(file, content);
        List<long[]> seen = new java.util.ArrayList<>();
        JsonNode r = client().createBootResource(form("custom/ten", content, "ddraw"), file, (sent, total) -> seen.add(new long[] {sent, total}));
        JsonNode f = onlyFile(r);
        assertTrue(f.get("complete").asBoolean(), r.toString());
        assertFalse(f.has("upload_uri"));
        assertEquals(100.0, f.get("progress").asDouble());
        assertEquals("root-dd.raw", f.get("filetype").asText());
        assertEquals(Sha256.of(content), f.get("sha256").asText());
        assertArrayEquals(content, Files.readAllBytes(t.engine.config().dataDir().resolve("files").resolve(Sha256.of(content))));
        assertEquals(List.of(0L, 4L * MIB, 8L * MIB, 10L * MIB + 5), seen.stream().map(x -> x[0]).toList());
        assertEquals(List.of(), tmpFiles());
    }

    @Test
    void identicalContentCompletesAtCreate() throws Exception {
        byte[] content = image(MIB + 3, 2);
        Path file = work.resolve("dup.img");
        Files.write(file, content);
        assertTrue(onlyFile(client().createBootResource(form("custom/dup-a", content, "ddraw"), file, (a, b) -> { })).get("complete").asBoolean());
        HttpResponse<String> created = postForm(form("custom/dup-b", content, "ddraw"));
        assertEquals(201, created.statusCode(), created.body());
        JsonNode f = onlyFile(JSON.readTree(created.body()));
        assertTrue(f.get("complete").asBoolean(), "dedup by sha256: nothing to upload");
        Map<String, String> otherSize = form("custom/dup-c", content, "ddraw");
        otherSize.put("size", "7");
        HttpResponse<String> refused = postForm(otherSize);
        assertEquals(400, refused.statusCode());
        assertEquals("size: '7' (expected: " + content.length + ", the size already stored for sha256 " + Sha256.of(content) + ")", refused.body().trim());
    }

    private HttpResponse<String> postForm(Map<String, String> fields) throws Exception {
        Multipart m = new Multipart();
        fields.forEach(m::field);
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/")).header("Content-Type", m.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(m.body())).build());
    }

    /** A created, still empty upload: {resource id, upload_uri}. */
    private String[] created(String name, byte[] content) throws Exception {
        HttpResponse<String> r = postForm(form(name, content, "ddraw"));
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = JSON.readTree(r.body());
        JsonNode f = onlyFile(j);
        assertFalse(f.get("complete").asBoolean());
        assertEquals(0, f.get("uploaded_size").asLong());
        return new String[] {j.get("id").asText(), f.get("upload_uri").asText()};
    }

    @Test
    void refusedChunksKeepNothingWrong() throws Exception {
        byte[] content = image(3 * MIB, 3);
        String[] u = created("custom/refusals", content);
        long id = Long.parseLong(u[0]);

        HttpResponse<String> empty = put(u[1], new byte[0]);
        assertEquals(400, empty.statusCode());
        assertEquals("Content-Length: '0' (expected: a chunk of 1 or more bytes)", empty.body().trim());

        assertEquals(200, put(u[1], java.util.Arrays.copyOfRange(content, 0, MIB)).statusCode());
        assertEquals(MIB, onlyFile(read(id)).get("uploaded_size").asLong());
        HttpResponse<String> over = put(u[1], random(2 * MIB + 1, 9));
        assertEquals(400, over.statusCode());
        assertEquals("Content-Length: '" + (2 * MIB + 1) + "' (expected: at most " + 2 * MIB + " bytes, the rest of the declared size "
                + 3 * MIB + "; the upload was discarded, send it again from the start)", over.body().trim());
        assertEquals(0, onlyFile(read(id)).get("uploaded_size").asLong(), "MAAS discards the content on an overrun");

        byte[] wrong = content.clone();
        wrong[5] ^= 1;
        HttpResponse<String> bad = put(u[1], wrong);
        assertEquals(400, bad.statusCode());
        assertEquals("sha256: '" + Sha256.of(content) + "' (expected: " + Sha256.of(wrong) + ", the sha256 of the " + 3 * MIB
                + " bytes received; the upload was discarded, send it again from the start)", bad.body().trim());
        JsonNode after = onlyFile(read(id));
        assertFalse(after.get("complete").asBoolean());
        assertEquals(0, after.get("uploaded_size").asLong());
        assertFalse(Files.exists(t.engine.config().dataDir().resolve("files").resolve(Sha256.of(wrong))), "nothing wrong is stored");

        // A chunk cut off by the client: the bytes it brought are dropped, the earlier chunks stay.
        assertEquals(200, put(u[1], java.util.Arrays.copyOfRange(content, 0, MIB)).statusCode());
        try (Raw raw = new Raw(t.engine.apiAddress().getPort())) {
            raw.write(("PUT " + u[1] + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " + MIB
                    + "\r\nAuthorization: " + t.authorization() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            raw.write(java.util.Arrays.copyOfRange(content, MIB, MIB + 1000));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> next;
        do {
            Thread.sleep(50);
            next = put(u[1], java.util.Arrays.copyOfRange(content, MIB, 3 * MIB));
        } while (next.statusCode() == 409 && System.nanoTime() < deadline);
        assertEquals(200, next.statusCode(), next.body());
        JsonNode done = onlyFile(read(id));
        assertTrue(done.get("complete").asBoolean(), done.toString());

        HttpResponse<String> more = put(u[1], new byte[] {1});
        assertEquals(400, more.statusCode());
        assertEquals("file " + u[1].replaceAll(".*/upload/([0-9]+)/", "$1") + ": already complete (expected: a file still being uploaded)",
                more.body().trim());
        assertEquals(404, put("/MAAS/api/2.0/boot-resources/" + id + "/upload/999999/", new byte[] {1}).statusCode());
        HttpResponse<String> chunkedTe = t.send(HttpRequest.newBuilder(URI.create(t.api() + u[1]))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[] {1, 2}))).build());
        assertEquals(400, chunkedTe.statusCode());
        assertEquals("Content-Length: missing (expected: the chunk's size in bytes)", chunkedTe.body().trim());
        HttpResponse<String> unsigned = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + u[1])).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1})).build());
        assertEquals(401, unsigned.statusCode());
        assertEquals(List.of(), tmpFiles());
    }

    @ParameterizedTest
    @EnumSource(ImageFiletype.class)
    void everyFiletypeIsAccepted(ImageFiletype type) throws Exception {
        byte[] content = images.pack(type, 100 + type.ordinal());
        HttpResponse<String> r = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", new Multipart().contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(new Multipart()
                        .field("name", "custom/ft-" + type.uploadName()).field("architecture", "amd64/generic").field("base_image", "ubuntu/jammy")
                        .field("filetype", type.uploadName()).content(content).body())).build());
        assertEquals(201, r.statusCode(), r.body());
        JsonNode f = onlyFile(JSON.readTree(r.body()));
        assertEquals(type.storedName(), f.get("filename").asText());
        assertEquals(type.storedName(), f.get("filetype").asText());
        assertEquals(type, t.engine.resources().deployable("custom/ft-" + type.uploadName(), "amd64").orElseThrow().filetype());
    }

    @Test
    void versionsAndDeleteRemoveOnlyUnreferencedFiles() throws Exception {
        byte[] a = image(2000, 20);
        byte[] b = image(2001, 21);
        Path fa = work.resolve("a.img");
        Path fb = work.resolve("b.img");
        Files.write(fa, a);
        Files.write(fb, b);
        long id = client().createBootResource(form("custom/versions", a, "ddraw"), fa, (x, y) -> { }).get("id").asLong();
        JsonNode two = client().createBootResource(form("custom/versions", b, "ddraw"), fb, (x, y) -> { });
        assertEquals(id, two.get("id").asLong());
        assertEquals(2, two.get("sets").size(), two.toString());
        long other = client().createBootResource(form("custom/shares-a", a, "ddraw"), fa, (x, y) -> { }).get("id").asLong();
        String incomplete = created("custom/versions", image(5000, 22))[1];
        assertTrue(incomplete.startsWith("/MAAS/api/2.0/boot-resources/" + id + "/upload/"));

        HttpResponse<String> del = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/" + id + "/")).DELETE().build());
        assertEquals(204, del.statusCode(), del.body());
        assertEquals(404, t.get("/MAAS/api/2.0/boot-resources/" + id + "/").statusCode());
        Path files = t.engine.config().dataDir().resolve("files");
        assertTrue(Files.exists(files.resolve(Sha256.of(a))), "still used by custom/shares-a");
        assertFalse(Files.exists(files.resolve(Sha256.of(b))));
        assertEquals(List.of(), tmpFiles(), "the incomplete version's partial file is gone");
        assertEquals(204, t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/" + other + "/")).DELETE().build()).statusCode());
        assertFalse(Files.exists(files.resolve(Sha256.of(a))));
        assertEquals(404, t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/" + other + "/")).DELETE().build()).statusCode());
    }

    @Test
    void statusPageAndMetricsShowStaticImageGauges() throws Exception {
        byte[] content = images.pack(ImageFiletype.DDGZ, 30);
        Path f = work.resolve("m.img");
        Files.write(f, content);
        client().createBootResource(form("custom/metric", content, "ddgz"), f, (x, y) -> { });
        String page = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/")).build()).body();
        assertTrue(page.contains("maas_custom_static_images_uploaded</td><td>ubuntu/jammy</td><td>ddgz</td>"), page);
        assertTrue(page.contains("maas_custom_static_images_deployed"), page);
        String metrics = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/metrics")).build()).body();
        assertTrue(metrics.contains("maas_custom_static_images_uploaded{base_image=\"ubuntu/jammy\",file_type=\"ddgz\"}"), metrics);
    }
}
