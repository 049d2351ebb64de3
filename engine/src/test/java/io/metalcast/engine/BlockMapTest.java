package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.client.MaasApi;
import io.metalcast.engine.image.ImageStore;
import io.metalcast.engine.machine.Machine;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import io.metalcast.pxe.http.HttpBootServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Block maps of raw images end to end: made when an upload completes (multipart, chunked, dedup), served by the boot
 * HTTP server at the image URL + {@code .bmap}, named with their sha256 in the curtin config a deploying machine gets,
 * removed with the image, and made at start for a raw image stored without one. Likewise the raw views of compressed
 * disk images: a sparse decompressed file at the image URL + {@code .raw} with its map at {@code .raw.bmap}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockMapTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NEXT = new AtomicInteger(1);
    private TestEngine t;
    private TestImages images;
    private HttpBootServer http;

    @BeforeAll
    void start(@TempDir Path tmp, @TempDir Path work) throws Exception {
        t = new TestEngine(tmp);
        images = new TestImages(work);
        http = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), t.engine.bootPolicy(), t.engine.blocking(),
                t.engine.registry());
        http.start();
        t.engine.httpBound(http.localAddress().getPort());
        t.addEphemeral("ubuntu", "amd64", "jammy");
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        t.close();
    }

    private long upload(String name, String filetype, byte[] content) throws Exception {
        Multipart form = new Multipart().field("name", name).field("architecture", "amd64/generic").field("base_image", "ubuntu/jammy")
                .field("filetype", filetype).content(content);
        HttpResponse<String> r = t.upload(form);
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("id").asLong();
    }

    /** The image source of the curtin config a machine deploying {@code name} is given. */
    private Source deployedSource(String name) throws Exception {
        int n = NEXT.getAndIncrement();
        Machine m = t.engine.machines().enlist(MacAddress.parse(String.format("52:54:00:bb:%02x:%02x", n / 256, n % 256)), ClientArch.BIOS_X86);
        HttpResponse<String> d = t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/" + m.systemId() + "/?op=deploy"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("distro_series=" + name))
                .build());
        assertEquals(200, d.statusCode(), d.body());
        m = t.engine.machines().get(m.systemId()).orElseThrow();
        HttpResponse<String> r = t.get("/MAAS/metadata/latest/by-id/" + m.systemId() + "/" + m.row().tokenKey() + "/?op=get_preseed");
        assertEquals(200, r.statusCode(), r.body());
        return CurtinYaml.parse(r.body()).sources().get("00_image");
    }

    private HttpResponse<byte[]> fetch(String url) throws Exception {
        return t.client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private Path stored(String sha256) {
        return t.engine.resources().store().path(sha256);
    }

    private Path map(String sha256) {
        return t.engine.resources().store().blockMap(sha256);
    }

    private HttpResponse<String> delete(long id) throws Exception {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/" + id + "/")).DELETE().build());
    }

    /**
     * The file {@code storedName} of resource {@code id} shows {@code key} ({@code block_map} or {@code raw_view}) with
     * its mapped bytes and sha256 in the JSON, on the status page, and the metric counts one made.
     */
    private void assertShown(long id, String storedName, String key, long mappedBytes, String sha256) throws Exception {
        JsonNode file = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/" + id + "/").body()).get("sets").elements().next()
                .get("files").get(storedName);
        assertEquals(mappedBytes, file.get(key).get("mapped_bytes").asLong(), file.toString());
        assertEquals(sha256, file.get(key).get("sha256").asText());
        String page = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/")).build()).body();
        assertTrue(page.contains("; " + key.replace('_', ' ') + ": "), page);
        assertTrue(t.engine.registry().scrape().contains("boot_resources_" + key + "s_total{result=\"made\"}"));
    }

    /** Stores {@code content} straight through the engine's resources of a first engine, as an earlier engine did. */
    private static void storeAsBefore(TestEngine e, String name, String filetype, byte[] content) throws Exception {
        var r = e.engine.resources();
        Path c = Files.write(Files.createTempFile(r.store().tmpDir(), "test-", ".img"), content);
        r.upload(r.check(Map.of("name", name, "architecture", "amd64/generic", "base_image", "ubuntu/jammy", "filetype", filetype)), c);
    }

    /** Waits up to 20 s for {@code file}, made in the background at start. */
    private static void awaitMadeAtStart(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!Files.isRegularFile(file) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.isRegularFile(file), "made in the background at start: " + file);
    }

    @Test
    void aRawUploadIsMappedServedNamedInTheConfigAndRemovedWithIt() throws Exception {
        byte[] content = images.raw(101);
        String sha = Sha256.of(content);
        long id = upload("custom/mapped", "ddraw", content);
        assertTrue(Files.isRegularFile(map(sha)), "the map is stored beside the image before the upload is answered");

        Source s = deployedSource("custom/mapped");
        assertEquals(s.uri() + ".bmap", s.bmap());
        HttpResponse<byte[]> served = fetch(s.bmap());
        assertEquals(200, served.statusCode());
        assertEquals(Sha256.of(served.body()), s.bmapSha256(), "bmap_sha256 is the sha256 of the bytes served");
        BlockMap parsed = BlockMap.parse(served.body());
        BlockMap scanned = BlockMap.scan(stored(sha), BlockMap.DEFAULT_BLOCK_SIZE);
        assertEquals(scanned, parsed);
        assertEquals(content.length, parsed.imageSize());
        assertTrue(parsed.mappedBytes() > 0 && parsed.mappedBytes() < content.length / 2,
                "the disk's zero blocks are left out: " + parsed.mappedBytes() + " of " + content.length);
        HttpResponse<byte[]> image = fetch(s.uri());
        assertEquals(200, image.statusCode());
        assertArrayEquals(content, image.body(), "the image URL still serves the image");
        for (String other : new String[] {".x", ".bmap.bmap", "/x"}) {
            assertEquals(404, fetch(s.uri() + other).statusCode(), "only the image and its map: " + other);
        }

        assertShown(id, "root-dd.raw", "block_map", parsed.mappedBytes(), s.bmapSha256());

        assertEquals(204, delete(id).statusCode());
        assertFalse(Files.exists(stored(sha)));
        assertFalse(Files.exists(map(sha)), "the map goes with its image");
        assertEquals(404, fetch(s.bmap()).statusCode());
    }

    private ImageStore store() {
        return t.engine.resources().store();
    }

    /** Blocks of 512 bytes the file has allocated on disk (what {@code du} counts). */
    private static long allocated(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return Long.parseLong(out) * 512;
    }

    @ParameterizedTest
    @CsvSource({"DDGZ, 110", "DDXZ, 111", "DDTGZ, 112", "DDZST, 113"})
    void aCompressedUploadGetsASparseRawViewServedWithItsMapAndNamedInTheConfig(ImageFiletype type, long seed) throws Exception {
        byte[] content = images.pack(type, seed);
        byte[] raw = images.raw(seed); // the disk pack wrapped: for a tar type, its member
        String sha = Sha256.of(content);
        String name = "custom/view-" + type.uploadName();
        long id = upload(name, type.uploadName(), content);
        assertFalse(Files.exists(map(sha)), "no map of the compressed bytes themselves");
        Path view = store().rawView(sha);
        assertTrue(Files.isRegularFile(view), "the view is made before the upload is answered");
        assertEquals(raw.length, Files.size(view));
        long used = allocated(view);
        assertTrue(used > 0 && used < raw.length / 2, "sparse: " + used + " bytes allocated of " + raw.length);

        Source s = deployedSource(name);
        String imageUrl = s.uri().substring(0, s.uri().length() - ".raw".length());
        assertEquals("dd-raw", s.type());
        assertTrue(imageUrl.endsWith("/uploaded/" + type.storedName()), s.uri());
        assertEquals(Sha256.of(raw), s.sha256());
        assertEquals(raw.length, s.size());
        assertEquals(s.uri() + ".bmap", s.bmap());
        HttpResponse<byte[]> served = fetch(s.uri());
        assertEquals(200, served.statusCode());
        assertArrayEquals(raw, served.body(), "the raw view is the image decompressed");
        HttpResponse<byte[]> bmap = fetch(s.bmap());
        assertEquals(200, bmap.statusCode());
        assertEquals(Sha256.of(bmap.body()), s.bmapSha256());
        BlockMap parsed = BlockMap.parse(bmap.body());
        assertEquals(BlockMap.scan(view, BlockMap.DEFAULT_BLOCK_SIZE), parsed);
        assertTrue(parsed.mappedBytes() < raw.length / 2, parsed.mappedBytes() + " of " + raw.length);
        assertArrayEquals(content, fetch(imageUrl).body(), "the image URL still serves the upload as it was sent");
        assertEquals(404, fetch(imageUrl + ".bmap").statusCode(), "the compressed bytes have no map of their own");

        assertShown(id, type.storedName(), "raw_view", parsed.mappedBytes(), s.sha256());

        assertEquals(204, delete(id).statusCode());
        for (Path p : List.of(view, store().rawViewMap(sha), store().rawViewSum(sha))) {
            assertFalse(Files.exists(p), "the view goes with its image: " + p);
        }
        assertEquals(404, fetch(s.uri()).statusCode());
        assertEquals(404, fetch(s.bmap()).statusCode());
    }

    @Test
    void aCorruptCompressedUploadIsRefusedAndGetsNoView() throws Exception {
        byte[] content = images.pack(ImageFiletype.DDGZ, 120);
        for (int i = content.length / 3; i < content.length / 3 + 64; i++) {
            content[i] ^= (byte) 0x5a;
        }
        Multipart form = new Multipart().field("name", "custom/corrupt").field("architecture", "amd64/generic")
                .field("base_image", "ubuntu/jammy").field("filetype", "ddgz").content(content);
        HttpResponse<String> r = t.upload(form);
        assertEquals(400, r.statusCode(), r.body());
        String sha = Sha256.of(content);
        assertFalse(Files.exists(store().rawView(sha)));
        assertFalse(Files.exists(store().rawViewSum(sha)));
        try (var tmp = Files.list(store().tmpDir())) {
            assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith("raw-")).toList());
        }
    }

    @Test
    void aChunkedUploadIsMappedAndADedupMapsAgainWhatWasRemoved(@TempDir Path work) throws Exception {
        byte[] content = images.raw(103);
        String sha = Sha256.of(content);
        Path file = Files.write(work.resolve("c.img"), content);
        MaasApi client = new MaasApi(t.api() + "/MAAS/", t.engine.operatorKey(), t.clock);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("name", "custom/chunked");
        form.put("architecture", "amd64/generic");
        form.put("base_image", "ubuntu/jammy");
        form.put("filetype", "ddraw");
        assertTrue(client.createBootResource(form, file, (a, b) -> { }).toString().contains("\"complete\":true"));
        assertTrue(Files.isRegularFile(map(sha)), "mapped at the last chunk");
        byte[] first = Files.readAllBytes(map(sha));

        Files.delete(map(sha));
        form.put("name", "custom/chunked-again");
        JsonNode again = client.createBootResource(form, file, (a, b) -> { });
        assertTrue(again.toString().contains("\"complete\":true"), again.toString());
        assertArrayEquals(first, Files.readAllBytes(map(sha)), "complete at create (dedup), mapped again, the same map");
    }

    @Test
    void theEngineMapsARawImageStoredWithoutAMapAtStart(@TempDir Path dir) throws Exception {
        byte[] content = images.raw(104);
        String sha = Sha256.of(content);
        Path data;
        try (TestEngine first = new TestEngine(dir)) {
            storeAsBefore(first, "custom/old", "ddraw", content);
            data = first.engine.resources().store().blockMap(sha);
            assertTrue(Files.isRegularFile(data));
        }
        Files.delete(data);
        try (TestEngine second = new TestEngine(dir)) {
            awaitMadeAtStart(data);
            assertEquals(BlockMap.scan(second.engine.resources().store().path(sha), BlockMap.DEFAULT_BLOCK_SIZE),
                    BlockMap.parse(Files.readAllBytes(data)));
        }
    }

    @Test
    void theEngineMakesARawViewMissingAtStart(@TempDir Path dir) throws Exception {
        byte[] content = images.pack(ImageFiletype.DDXZ, 130);
        byte[] raw = images.raw(130);
        String sha = Sha256.of(content);
        Path sum;
        try (TestEngine first = new TestEngine(dir)) {
            storeAsBefore(first, "custom/old-xz", "ddxz", content);
            ImageStore s = first.engine.resources().store();
            sum = s.rawViewSum(sha);
            assertTrue(Files.isRegularFile(sum));
            s.deleteRawView(sha); // as an engine before raw views left it
        }
        try (TestEngine second = new TestEngine(dir)) {
            awaitMadeAtStart(sum);
            ImageStore s = second.engine.resources().store();
            assertArrayEquals(raw, Files.readAllBytes(s.rawView(sha)));
            assertEquals(BlockMap.scan(s.rawView(sha), BlockMap.DEFAULT_BLOCK_SIZE), BlockMap.parse(Files.readAllBytes(s.rawViewMap(sha))));
        }
    }
}
