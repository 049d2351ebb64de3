package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.Raw;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import io.metalcast.engine.client.MaasApi;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server's client timeouts ({@link ApiLimits}), shortened: a PUT chunk whose body stalls is dropped when the
 * body idle time passes, its file takes the chunk again from another connection, and the upload completes; a
 * connection that never finishes its request headers is closed after the header timeout however it trickles.
 */
class IdleTimeoutTest {
    private static final Duration HEADER = Duration.ofMillis(1500);
    private static final Duration BODY_IDLE = Duration.ofMillis(600);

    @Test
    void aStalledChunkIsDroppedAfterTheBodyIdleTimeAndItsFileTakesTheChunkAgain(@TempDir Path tmp) throws Exception {
        try (TestEngine te = new TestEngine(tmp, new ApiLimits(Duration.ofSeconds(30), BODY_IDLE))) {
            byte[] content = new TestImages(Files.createDirectories(tmp.resolve("images"))).raw(2 * MaasApi.CHUNK + 4321, 7);
            String sha = Sha256.of(content);
            Map<String, String> form = new LinkedHashMap<>();
            form.put("name", "custom/stalled");
            form.put("architecture", "amd64/generic");
            form.put("base_image", "ubuntu/jammy");
            form.put("filetype", "ddraw");
            form.put("sha256", sha);
            form.put("size", Integer.toString(content.length));
            MaasApi client = new MaasApi(te.api() + "/MAAS/", te.engine.operatorKey(), te.clock);
            JsonNode created = client.post("boot-resources/", form, 201);
            long id = created.get("id").asLong();
            String upload = created.get("sets").elements().next().get("files").elements().next().get("upload_uri").asText();
            String path = upload.substring("/MAAS/api/2.0/".length());
            client.put(path, Arrays.copyOfRange(content, 0, MaasApi.CHUNK), MaasApi.CHUNK);

            try (Raw stalled = new Raw(te.engine.apiAddress().getPort())) {
                stalled.write(("PUT " + upload + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                        + MaasApi.CHUNK + "\r\nAuthorization: " + te.authorization() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                stalled.write(Arrays.copyOfRange(content, MaasApi.CHUNK, MaasApi.CHUNK + (1 << 20)));
                long t0 = System.nanoTime();
                // The stalled chunk holds the file once its bytes reach the partial file; only then is the race decided.
                awaitPartialBeyond(te.engine.config().dataDir().resolve("tmp"), MaasApi.CHUNK);
                MaasApi.ApiException busy = assertThrows(MaasApi.ApiException.class,
                        () -> client.put(path, Arrays.copyOfRange(content, MaasApi.CHUNK, 2 * MaasApi.CHUNK), MaasApi.CHUNK));
                assertEquals(409, busy.status(), "the stalled chunk holds the file while it may still come");
                IOException closed = assertThrows(IOException.class, stalled::read, "the server closes the stalled connection");
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waited >= BODY_IDLE.toMillis() - 100 && waited < 10_000, "closed after " + waited + " ms: " + closed);
            }
            JsonNode file = awaitUploaded(client, id, MaasApi.CHUNK);
            assertEquals((long) MaasApi.CHUNK, file.get("uploaded_size").asLong(), "the stalled chunk is not counted");

            client.put(path, Arrays.copyOfRange(content, MaasApi.CHUNK, 2 * MaasApi.CHUNK), MaasApi.CHUNK);
            client.put(path, Arrays.copyOfRange(content, 2 * MaasApi.CHUNK, content.length), content.length - 2 * MaasApi.CHUNK);
            JsonNode done = client.get("boot-resources/" + id + "/").get("sets").elements().next().get("files").elements().next();
            assertTrue(done.get("complete").asBoolean(), done.toString());
            Path stored = te.engine.config().dataDir().resolve("files").resolve(sha);
            assertEquals(sha, Sha256.of(Files.readAllBytes(stored)));
        }
    }

    /** Waits until the upload's partial file holds more than {@code bytes}: a chunk in progress has the file. */
    private static void awaitPartialBeyond(Path tmp, long bytes) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (var parts = Files.newDirectoryStream(tmp, "chunked-*.part")) {
                for (Path part : parts) {
                    if (Files.size(part) > bytes) {
                        return;
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the stalled chunk never reached the partial file in " + tmp);
    }

    /** The file's record once the server has dropped the stalled chunk (the abort runs on the blocking executor). */
    private static JsonNode awaitUploaded(MaasApi client, long id, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode file;
        do {
            file = client.get("boot-resources/" + id + "/").get("sets").elements().next().get("files").elements().next();
            if (file.get("uploaded_size").asLong() == expected) {
                return file;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return file;
    }

    @Test
    void requestHeadersThatNeverEndAreCutAfterTheHeaderTimeoutEvenWhenTrickling(@TempDir Path tmp) throws Exception {
        try (TestEngine te = new TestEngine(tmp, new ApiLimits(HEADER, Duration.ofSeconds(30)))) {
            // An idle keep-alive connection after one answered request, and one that trickles its headers byte by byte.
            try (Raw idle = new Raw(te.engine.apiAddress().getPort());
                 Socket trickle = new Socket("127.0.0.1", te.engine.apiAddress().getPort())) {
                Raw.Answer a = idle.exchange("GET /MAAS/api/2.0/version/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", new byte[0]);
                assertEquals(200, a.status());
                long t0 = System.nanoTime();
                byte[] head = "GET /MAAS/api/2.0/version/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1);
                trickle.setSoTimeout(100);
                InputStream in = trickle.getInputStream();
                boolean closed = false;
                for (int i = 0; !closed && System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(); i++) {
                    try {
                        trickle.getOutputStream().write(i < head.length ? head[i] : 'x');
                        closed = in.read() < 0;
                    } catch (java.net.SocketTimeoutException e) {
                        // still open: nothing to read
                    } catch (IOException e) {
                        closed = true;
                    }
                }
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(closed, "the trickling connection was not closed in 10 s");
                assertTrue(waited >= HEADER.toMillis() - 100, "closed after " + waited + " ms, before the header timeout");
                assertThrows(IOException.class, idle::read, "the idle keep-alive connection is closed too");
            }
        }
    }
}
