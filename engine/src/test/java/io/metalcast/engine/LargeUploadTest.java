package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.client.MaasApi;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads of several GiB stream to disk with flat memory: the engine runs as a child JVM with a 256 MiB heap (a heap
 * copy of the image could not even fit) and receives a 3 GiB image twice, once as the maas CLI sends it (a create
 * without content, then 4 MiB signed PUTs) and once as one multipart POST whose content part is streamed from the file.
 * The image is a real Ubuntu disk image from {@link TestImages} padded to 3 GiB as a sparse file; the stored copies are
 * real files (the test needs 8 GiB free and deletes everything). The child's resident memory is read from
 * /proc/PID/status before the uploads and after each (with its peak, VmHWM).
 *
 * <p>The bound: resident growth under 160 MiB for 6 GiB received. Any copy of the image (or a per-chunk leak of even
 * 3 %) is far above it; what may legitimately grow is heap pages first touched by the uploads' garbage (the heap can
 * grow to -Xmx at most, and with the serial collector the young generation, a third of the heap, is what churns),
 * Netty's pooled direct buffers (a few 4 MiB arena chunks), and JIT code and metaspace for the code paths run.
 */
class LargeUploadTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final long SIZE = 3 * GIB;
    private static final long MAX_GROWTH = 160 * MIB;

    private record Memory(long rss, long hwm) {
        @Override
        public String toString() {
            return "VmRSS " + rss / MIB + " MiB, VmHWM " + hwm / MIB + " MiB";
        }
    }

    @Test
    void threeGibUploadsStreamToDiskWithFlatMemory(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.getFileStore(tmp).getUsableSpace() >= 8 * GIB, "needs 8 GiB free under " + tmp);
        EngineChild.Setup setup = EngineChild.configure(tmp);
        Path data = setup.data();
        int api = setup.apiPort();
        Path config = setup.config();
        TestImages images = new TestImages(Files.createDirectories(tmp.resolve("images")));
        Path chunked = sparse(tmp.resolve("chunked.img"), images.raw(11));
        Path whole = sparse(tmp.resolve("whole.img"), images.raw(12));

        Process engine = EngineChild.start(config, tmp.resolve("engine.log"), api, "256m");
        try {
            ApiKey key = ApiKey.parse(Files.readString(data.resolve(Engine.OPERATOR_KEY_FILE)));
            MaasApi client = new MaasApi("http://127.0.0.1:" + api + "/MAAS/", key, Clock.systemUTC());
            client.get("boot-resources/");
            Memory before = memory(engine);

            long t0 = System.nanoTime();
            String sha = Sha256.ofFile(chunked);
            JsonNode done = client.createBootResource(form("custom/big-chunked"), chunked, (sent, total) -> { });
            JsonNode file = done.get("sets").elements().next().get("files").elements().next();
            assertTrue(file.get("complete").asBoolean(), done.toString());
            assertEquals(sha, file.get("sha256").asText());
            Memory afterChunked = memory(engine);
            long t1 = System.nanoTime();
            assertEquals(sha, Sha256.ofFile(data.resolve("files").resolve(sha)), "the stored file is the image");
            Files.delete(data.resolve("files").resolve(sha));

            String sha2 = Sha256.ofFile(whole);
            long t2 = System.nanoTime();
            JsonNode created = multipart(api, key, form("custom/big-whole"), sha2, whole);
            JsonNode file2 = created.get("sets").elements().next().get("files").elements().next();
            assertTrue(file2.get("complete").asBoolean(), created.toString());
            assertEquals(sha2, file2.get("sha256").asText());
            Memory afterWhole = memory(engine);
            long t3 = System.nanoTime();
            assertEquals(sha2, Sha256.ofFile(data.resolve("files").resolve(sha2)), "the stored file is the image");

            String report = "before: " + before + "; after chunked (" + TimeUnit.NANOSECONDS.toMillis(t1 - t0) + " ms): " + afterChunked
                    + "; after multipart (" + TimeUnit.NANOSECONDS.toMillis(t3 - t2) + " ms): " + afterWhole;
            System.out.println("LargeUploadTest: " + report);
            assertTrue(afterChunked.hwm - before.rss < MAX_GROWTH, "chunked upload grew the engine by more than 160 MiB: " + report);
            assertTrue(afterWhole.hwm - before.rss < MAX_GROWTH, "multipart upload grew the engine by more than 160 MiB: " + report);
        } finally {
            EngineChild.kill(engine);
            TestImages.sh(tmp, "rm -rf '" + data + "' '" + chunked + "' '" + whole + "'");
        }
    }

    private static Map<String, String> form(String name) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("name", name);
        form.put("architecture", "amd64/generic");
        form.put("base_image", "ubuntu/jammy");
        form.put("filetype", "ddraw");
        return form;
    }

    /** The disk image at the start of a sparse file of {@link #SIZE} bytes. */
    private static Path sparse(Path file, byte[] disk) throws IOException {
        Files.write(file, disk);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        return file;
    }

    /** One signed multipart POST: the fields, then the content part streamed from the file (never in memory). */
    private static JsonNode multipart(int port, ApiKey key, Map<String, String> fields, String sha, Path content) throws Exception {
        String boundary = "metalcast-large-" + System.nanoTime();
        StringBuilder head = new StringBuilder();
        Map<String, String> all = new TreeMap<>(fields);
        all.put("sha256", sha);
        all.put("size", Long.toString(Files.size(content)));
        all.forEach((k, v) -> head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(k)
                .append("\"\r\n\r\n").append(v).append("\r\n"));
        head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"content\"; filename=\"image.raw\"\r\n")
                .append("Content-Type: application/octet-stream\r\n\r\n");
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.concat(
                HttpRequest.BodyPublishers.ofByteArray(head.toString().getBytes(StandardCharsets.UTF_8)),
                HttpRequest.BodyPublishers.ofFile(content),
                HttpRequest.BodyPublishers.ofByteArray(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8)));
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("Authorization", key.authorization(Clock.systemUTC().instant().getEpochSecond(), "big" + System.nanoTime()))
                .timeout(Duration.ofMinutes(5)).POST(body).build();
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(201, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body());
    }

    private static Memory memory(Process p) throws IOException {
        long rss = -1;
        long hwm = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kib(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kib(line);
            }
        }
        assertTrue(rss > 0 && hwm > 0, "no VmRSS/VmHWM for " + p.pid());
        return new Memory(rss, hwm);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
}
