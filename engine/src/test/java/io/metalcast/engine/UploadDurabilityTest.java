package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.client.MaasApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        EngineChild.Setup setup = EngineChild.configure(tmp);
        Path data = setup.data();
        int api = setup.apiPort();
        Path config = setup.config();
        byte[] content = new TestImages(Files.createDirectories(tmp.resolve("images"))).raw(6 * MaasApi.CHUNK + 12345, 5);
        String sha = Sha256.of(content);
        Path image = tmp.resolve("big.img");
        Files.write(image, content);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("name", "custom/durable");
        form.put("architecture", "amd64/generic");
        form.put("base_image", "ubuntu/jammy");
        form.put("filetype", "ddraw");
        form.put("sha256", sha);
        form.put("size", Integer.toString(content.length));

        Process engine = EngineChild.start(config, tmp.resolve("engine-1.log"), api, "128m");
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
                EngineChild.kill(engine);
            }
        } finally {
            EngineChild.kill(engine);
        }

        Process again = EngineChild.start(config, tmp.resolve("engine-2.log"), api, "128m");
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
            EngineChild.kill(again);
        }
    }
}
