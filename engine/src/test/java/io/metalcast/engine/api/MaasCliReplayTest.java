package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.Raw;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays the request sequence the real maas CLI sent (captured in {@code maas-cli/capture.jsonl}: login's whoami and
 * describe, boot-resources read, create with {@code content@=} of 10 MiB in 4, 4 and 2 MiB PUTs on one keep-alive
 * connection, machine deploy, machines read) byte for byte in shape: lowercase header names in the captured order,
 * the quoted boundary, base64 multipart parts. Only the key, nonce, timestamp, host, ids, the content and its sha256 are
 * substituted. Each answer is checked the way the CLI checks it.
 */
class MaasCliReplayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theMaasCliSequenceSucceeds(@TempDir Path tmp) throws Exception {
        List<JsonNode> capture = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/maas-cli/capture.jsonl")) {
            assertNotNull(in, "capture.jsonl on the test classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    capture.add(JSON.readTree(line));
                }
            }
        }
        assertEquals(9, capture.size());
        try (TestEngine t = new TestEngine(tmp)) {
            int port = t.engine.apiAddress().getPort();
            ApiKey key = t.engine.operatorKey();
            JsonNode create = capture.stream().filter(c -> c.path("method").asText().equals("POST") && c.path("multipart").path("parts")
                    .findValuesAsText("name").contains("sha256")).findFirst().orElseThrow();
            String oldSha = part(create, "sha256");
            long size = Long.parseLong(part(create, "size"));
            // A real image (the engine inspects uploads) of exactly the captured size.
            byte[] content = new TestImages(Files.createDirectories(tmp.resolve("images"))).raw((int) size, 42);
            String sha = Sha256.of(content);
            t.addEphemeral("ubuntu", "amd64", "jammy");
            Machine machine = t.engine.machines().enlist(MacAddress.parse("52:54:00:aa:bb:01"), ClientArch.BIOS_X86);

            Map<String, String> ids = new HashMap<>();
            Map<Integer, Raw> connections = new HashMap<>();
            long offset = 0;
            int puts = 0;
            try {
                for (JsonNode c : capture) {
                    String method = c.get("method").asText();
                    String target = c.get("raw_path").asText().replace("/machines/abc123/", "/machines/" + machine.systemId() + "/");
                    if (ids.containsKey("upload")) {
                        target = target.replace("/MAAS/api/2.0/boot-resources/1/upload/1/", ids.get("upload"));
                    }
                    byte[] body;
                    if (c.has("raw_body")) {
                        String raw = c.get("raw_body").asText();
                        assertTrue(c != create || raw.contains(b64(oldSha)), "the captured sha256 part");
                        raw = raw.replace(b64(oldSha), b64(sha));
                        body = raw.getBytes(StandardCharsets.ISO_8859_1);
                    } else if (c.has("chunk")) {
                        int n = c.get("chunk").get("length").asInt();
                        body = java.util.Arrays.copyOfRange(content, (int) offset, (int) offset + n);
                        offset += n;
                    } else {
                        body = new byte[0];
                    }
                    StringBuilder head = new StringBuilder(method + " " + target + " " + c.get("http_version").asText() + "\r\n");
                    for (JsonNode h : c.get("headers")) {
                        String name = h.get(0).asText();
                        String value = h.get(1).asText();
                        switch (name.toLowerCase(java.util.Locale.ROOT)) {
                            case "host" -> value = "127.0.0.1:" + port;
                            case "content-length" -> value = Integer.toString(body.length);
                            case "authorization" -> value = resign(value, key, t.clock.instant().getEpochSecond(), c.get("seq").asInt());
                            default -> { }
                        }
                        head.append(name).append(": ").append(value).append("\r\n");
                    }
                    head.append("\r\n");
                    Raw conn = connections.get(c.get("connection").asInt());
                    if (conn == null) {
                        conn = new Raw(port);
                        connections.put(c.get("connection").asInt(), conn);
                    }
                    Raw.Answer a = conn.exchange(head.toString(), body);
                    String path = c.get("path").asText();
                    String what = method + " " + target + ": " + a.text();
                    if (path.endsWith("/users/")) {
                        assertEquals(200, a.status(), what);
                        assertEquals("admin", JSON.readTree(a.body()).get("username").asText());
                    } else if (path.endsWith("/describe/")) {
                        assertEquals(200, a.status(), what);
                        assertEquals("application/json", a.headers().get("content-type"), "exactly, or maas login fails");
                        assertTrue(JSON.readTree(a.body()).get("resources").findValuesAsText("name").contains("BootResourcesHandler"));
                    } else if (method.equals("PUT")) {
                        assertEquals(200, a.status(), "each PUT exactly 200: " + what);
                        puts++;
                    } else if (method.equals("POST") && path.endsWith("/boot-resources/")) {
                        assertEquals(201, a.status(), what);
                        JsonNode j = JSON.readTree(a.body());
                        JsonNode sets = j.get("sets");
                        String newest = sets.fieldNames().next();
                        JsonNode files = sets.get(newest).get("files");
                        assertEquals(1, files.size(), "exactly one file in the newest set");
                        JsonNode f = files.elements().next();
                        assertFalse(f.get("complete").asBoolean());
                        ids.put("upload", f.get("upload_uri").asText());
                        ids.put("resource", j.get("id").asText());
                    } else if (path.contains("/machines/") && method.equals("POST")) {
                        assertEquals(200, a.status(), what);
                        assertEquals("Deploying", JSON.readTree(a.body()).get("status_name").asText());
                    } else {
                        assertEquals(200, a.status(), what);
                        assertTrue(JSON.readTree(a.body()).isArray(), what);
                    }
                }
            } finally {
                for (Raw r : connections.values()) {
                    r.close();
                }
            }
            assertEquals(3, puts);
            JsonNode stored = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/" + ids.get("resource") + "/").body());
            JsonNode f = stored.get("sets").elements().next().get("files").elements().next();
            assertTrue(f.get("complete").asBoolean(), stored.toString());
            assertEquals(sha, f.get("sha256").asText());
            assertEquals(size, Files.size(t.engine.config().dataDir().resolve("files").resolve(sha)));
            assertEquals(MachineStatus.DEPLOYING, t.engine.machines().get(machine.systemId()).orElseThrow().status());
        }
    }

    private static String part(JsonNode request, String name) {
        for (JsonNode p : request.get("multipart").get("parts")) {
            if (p.get("name").asText().equals(name)) {
                return p.get("value").asText();
            }
        }
        throw new AssertionError("no part " + name);
    }

    private static String b64(String s) {
        // As Python's email package writes it: lines of 76 characters, CRLF between them.
        return Base64.getMimeEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The captured header with our key, a fresh nonce and the engine's time; field order and quoting as captured. */
    private static String resign(String captured, ApiKey key, long now, int seq) {
        return captured.replaceAll("oauth_nonce=\"[^\"]*\"", "oauth_nonce=\"" + seq + "1795" + now + "\"")
                .replaceAll("oauth_timestamp=\"[^\"]*\"", "oauth_timestamp=\"" + now + "\"")
                .replace("oauth_consumer_key=\"ck\"", "oauth_consumer_key=\"" + key.consumerKey() + "\"")
                .replace("oauth_token=\"tk\"", "oauth_token=\"" + key.tokenKey() + "\"")
                .replace("oauth_signature=\"%26ts\"", "oauth_signature=\"%26" + key.tokenSecret() + "\"");
    }
}
