package io.metalcast.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./metalcast's client commands against a real engine: login, create with a progress bar, read, deploy, delete. */
class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(int status, String out, String err) {
    }

    private static Run run(Path profile, Map<String, String> env, TestEngine t, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Cli(profile, env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                t.clock).run(List.of(args));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theMaasCliSyntaxWorksEndToEnd(@TempDir Path tmp) throws Exception {
        try (TestEngine t = new TestEngine(tmp.resolve("engine"))) {
            Path profile = tmp.resolve("config/metalcast/profile.json");
            Run notLoggedIn = run(profile, Map.of(), t, "machines", "read");
            assertEquals(2, notLoggedIn.status());
            assertTrue(notLoggedIn.err().contains("not logged in"), notLoggedIn.err());

            Run badKey = run(profile, Map.of(), t, "login", t.api() + "/MAAS/", "a:b:c");
            assertEquals(1, badKey.status());
            assertTrue(badKey.err().contains("HTTP 401: Authorization Error: Invalid API key."), badKey.err());
            assertFalse(Files.exists(profile));

            Run login = run(profile, Map.of(), t, "login", "admin", t.api() + "/MAAS/", t.engine.operatorKey().formatted());
            assertEquals(0, login.status(), login.err());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(profile)));

            java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
                out.write(new io.metalcast.engine.TestImages(Files.createDirectories(tmp.resolve("images"))).raw(9 * 1024 * 1024 + 7, 3));
            }
            byte[] content = gz.toByteArray();
            Path image = tmp.resolve("web.img.gz");
            Files.write(image, content);
            Run create = run(profile, Map.of(), t, "boot-resources", "create", "name=custom/jammy-web", "architecture=amd64/generic",
                    "title=web", "base_image=ubuntu/jammy", "filetype=ddgz", "content@=" + image);
            assertEquals(0, create.status(), create.err());
            assertTrue(create.err().contains("Uploading [") && create.err().contains("100%"), create.err());
            JsonNode r = JSON.readTree(create.out());
            assertEquals("custom/jammy-web", r.get("name").asText());
            JsonNode f = r.get("sets").elements().next().get("files").elements().next();
            assertTrue(f.get("complete").asBoolean());
            assertEquals("root-dd.gz", f.get("filename").asText());

            Run list = run(profile, Map.of(), t, "boot-resources", "read", "type=uploaded");
            assertEquals(0, list.status(), list.err());
            assertEquals(1, JSON.readTree(list.out()).size());
            long id = r.get("id").asLong();
            assertEquals(0, run(profile, Map.of(), t, "boot-resource", "read", Long.toString(id)).status());

            t.addEphemeral("ubuntu", "amd64", "jammy");
            Machine m = t.engine.machines().enlist(MacAddress.parse("52:54:00:cc:00:01"), ClientArch.BIOS_X86);
            Run machines = run(profile, Map.of(), t, "machines", "read");
            assertTrue(machines.out().contains(m.systemId()));
            Run deploy = run(profile, Map.of(), t, "machine", "deploy", m.systemId(), "distro_series=custom/jammy-web");
            assertEquals(0, deploy.status(), deploy.err());
            assertEquals(MachineStatus.DEPLOYING, t.engine.machines().get(m.systemId()).orElseThrow().status());

            // flags and environment instead of the profile
            Run viaEnv = run(tmp.resolve("none.json"), Map.of("METALCAST_URL", t.api(), "METALCAST_KEY", t.engine.operatorKey().formatted()), t,
                    "users", "whoami");
            assertEquals(0, viaEnv.status(), viaEnv.err());
            Run viaFlags = run(tmp.resolve("none.json"), Map.of(), t, "--url", t.api(), "--key", t.engine.operatorKey().formatted(),
                    "boot-resource", "delete", Long.toString(id));
            assertEquals(0, viaFlags.status(), viaFlags.err());
            Run gone = run(profile, Map.of(), t, "boot-resource", "read", Long.toString(id));
            assertEquals(1, gone.status());
            assertTrue(gone.err().contains("HTTP 404: boot resource: " + id + " (expected: a known id)"), gone.err());

            Run noContent = run(profile, Map.of(), t, "boot-resources", "create", "name=custom/x");
            assertEquals(2, noContent.status());
            assertTrue(noContent.err().contains("content: missing (expected: content@=FILE, the image to upload)"), noContent.err());
        }
    }
}
