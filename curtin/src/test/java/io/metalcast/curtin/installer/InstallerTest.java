package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallerTest {
    private static final int IMAGE = 9 * 1024 * 1024 + 123;
    private static final Pattern OAUTH = Pattern.compile("OAuth oauth_version=\"1\\.0\", oauth_signature_method=\"PLAINTEXT\", "
            + "oauth_consumer_key=\"CK\", oauth_token=\"TK\", oauth_signature=\"%26TS\", oauth_nonce=\"[0-9]{24}\", "
            + "oauth_timestamp=\"([0-9]{10})\"");

    @TempDir
    Path dir;
    TestServer server;
    byte[] image;
    String sha256;
    ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        image = new byte[IMAGE];
        new Random(42).nextBytes(image);
        server.image = image;
        sha256 = Sha256.of(image);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private WebhookReporter webhook() {
        return new WebhookReporter(server.base() + "/MAAS/metadata/status/node-abc", "CK", "TK", "TS");
    }

    private CurtinConfig config(Source source, Map<String, WriteFile> files) {
        return new CurtinConfig(Map.of("image", source), Map.of("maas", webhook()), files, "/tmp/install.log");
    }

    private Source good() {
        return new Source("dd-raw", server.base() + "/image", sha256, IMAGE);
    }

    private Path target(long size) throws IOException {
        Path t = dir.resolve("disk.img");
        try (var ch = java.nio.channels.FileChannel.open(t, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            if (size > 0) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x5a}), size - 1);
            }
        }
        return t;
    }

    private InstallResult install(CurtinConfig config, Path target) {
        server.config = CurtinYaml.render(config);
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), false, Duration.ofMillis(1));
        return new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    }

    private List<String> names(List<InstallEvent> events) {
        return events.stream().filter(e -> !InstallEvent.PROGRESS.equals(e.eventType()))
                .map(e -> e.name() + " " + e.eventType() + (e.result() == null ? "" : " " + e.result())).toList();
    }

    @Test
    void installsToARegularFileAndReportsEachStage() throws Exception {
        Path target = target(IMAGE + 4096);
        InstallResult r = install(config(good(), Map.of()), target);

        assertTrue(r.success(), r.message());
        assertEquals(IMAGE, r.bytesWritten());
        assertEquals(sha256, r.sha256());
        byte[] written = Files.readAllBytes(target);
        assertArrayEquals(image, Arrays.copyOf(written, IMAGE));
        assertEquals(0x5a, written[written.length - 1], "bytes past the image stay as they were");
        List<String> expected = List.of("cmd-install start", "cmd-install/stage-partitioning start",
                "cmd-install/stage-partitioning finish SUCCESS", "cmd-install/stage-extract start",
                "cmd-install/stage-extract finish SUCCESS", "cmd-install/stage-curthooks start",
                "cmd-install/stage-curthooks finish WARN", "cmd-install finish SUCCESS");
        assertEquals(expected, names(r.events()));
        assertEquals(expected, names(server.posted().stream().map(TestServer.Posted::event).toList()), "posted in order");

        List<InstallEvent> progress = r.events().stream().filter(e -> InstallEvent.PROGRESS.equals(e.eventType())).toList();
        assertFalse(progress.isEmpty(), "progress events during the extract");
        assertTrue(progress.stream().allMatch(e -> e.name().equals(Installer.STAGE_EXTRACT) && e.description().contains("MiB/s")),
                progress.toString());
        assertTrue(r.events().get(2).description().contains(target.toString()), "partitioning names the target");
        InstallEvent last = r.events().get(r.events().size() - 1);
        assertEquals("/tmp/install.log", last.files().get(0).path());
        assertTrue(new String(java.util.Base64.getDecoder().decode(last.files().get(0).content()), StandardCharsets.UTF_8)
                .contains("sha256 ok"));
        String out = console.toString(StandardCharsets.UTF_8);
        assertTrue(Pattern.compile("(?m)^metalcast-installer: extract 9\\.0 MiB in [0-9.]+ s \\([0-9.]+ MiB/s\\) sha256 ok$")
                .matcher(out).find(), out);
    }

    @Test
    void postsAsCurtinDoes() throws Exception {
        InstallResult r = install(config(good(), Map.of()), target(IMAGE));
        assertTrue(r.success(), r.message());
        List<TestServer.Posted> posted = server.posted();
        assertEquals(r.events().size(), posted.size());
        long now = System.currentTimeMillis() / 1000;
        for (TestServer.Posted p : posted) {
            assertEquals("/MAAS/metadata/status/node-abc", p.path());
            var m = OAUTH.matcher(p.header("Authorization"));
            assertTrue(m.matches(), p.header("Authorization"));
            assertTrue(Math.abs(Long.parseLong(m.group(1)) - now) < 120);
            assertEquals("application/json", p.header("Content-Type"));
            assertEquals("metalcast-installer", p.header("User-Agent"));
            String body = new String(p.body(), StandardCharsets.UTF_8);
            assertTrue(body.chars().allMatch(c -> c < 128), body);
            assertTrue(body.contains("\"origin\":\"curtin\""), body);
            assertTrue(Pattern.compile("\"timestamp\":[0-9]{10}\\.[0-9]+").matcher(body).find(), body);
            assertEquals(p.event().files().isEmpty(), !body.contains("\"files\""), body);
        }
        assertEquals(posted.size(), posted.stream().map(p -> p.header("Authorization")).distinct().count(), "fresh nonce per post");
        assertFalse(console.toString(StandardCharsets.UTF_8).contains("TS\""), "token secret never logged");
    }

    @Test
    void checksumMismatchFailsLoudly() throws Exception {
        String wrong = "0".repeat(64);
        Path target = target(IMAGE);
        InstallResult r = install(config(new Source("dd-raw", server.base() + "/image", wrong, IMAGE), Map.of()), target);
        assertFailed(r, InstallException.Kind.CHECKSUM_MISMATCH, Installer.STAGE_EXTRACT);
        InstallEvent fail = stageFinish(r, Installer.STAGE_EXTRACT);
        assertTrue(fail.description().contains(wrong) && fail.description().contains(sha256), fail.description());
        byte[] head = Arrays.copyOf(Files.readAllBytes(target), 1 << 20);
        assertArrayEquals(new byte[1 << 20], head, "a corrupt image is not left bootable");
    }

    @Test
    void sizeMismatchFails() throws Exception {
        InstallResult r = install(config(new Source("dd-raw", server.base() + "/image", "", IMAGE + 1), Map.of()), target(IMAGE * 2L));
        assertFailed(r, InstallException.Kind.SIZE_MISMATCH, Installer.STAGE_EXTRACT);
    }

    @Test
    void serverClosingMidStreamAndIgnoringRangeFailsClearly() throws Exception {
        server.cutImageAt = 5 * 1024 * 1024;
        server.rangeSupport = false;
        Path target = target(IMAGE);
        Files.write(target, new byte[IMAGE]);
        Files.write(target, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.WRITE);
        InstallResult r = install(config(new Source("dd-raw", server.base() + "/image", "", -1), Map.of()), target);
        assertFailed(r, InstallException.Kind.DOWNLOAD, Installer.STAGE_EXTRACT);
        assertTrue(r.message().contains("Range request answered with HTTP 200 (expected: 206)"), r.message());
        assertEquals(List.of("bytes=" + (5 * 1024 * 1024) + "-"), server.ranges);
        assertArrayEquals(new byte[1 << 20], Arrays.copyOf(Files.readAllBytes(target), 1 << 20), "a partial image is not left bootable");
    }

    @Test
    void targetSmallerThanTheImageIsRefused() throws Exception {
        Path target = target(IMAGE - 1);
        InstallResult r = install(config(good(), Map.of()), target);
        assertFailed(r, InstallException.Kind.TARGET_TOO_SMALL, Installer.STAGE_EXTRACT);
        assertEquals(0, Files.readAllBytes(target)[0], "nothing written");
    }

    @Test
    void targetSmallerThanAnImageOfUnknownSizeFailsWhileWriting() throws Exception {
        InstallResult r = install(config(new Source("dd-raw", server.base() + "/image", "", -1), Map.of()), target(1 << 20));
        assertFailed(r, InstallException.Kind.TARGET_TOO_SMALL, Installer.STAGE_EXTRACT);
    }

    @Test
    void missingTargetFailsInPartitioning() {
        InstallResult r = install(config(good(), Map.of()), dir.resolve("nope"));
        assertFailed(r, InstallException.Kind.TARGET, Installer.STAGE_PARTITIONING);
    }

    @Test
    void unsupportedSourceTypeFails() throws Exception {
        InstallResult r = install(config(new Source("fsimage", server.base() + "/image", "", -1), Map.of()), target(IMAGE));
        assertFailed(r, InstallException.Kind.CONFIG, Installer.STAGE_EXTRACT);
    }

    @Test
    void writeFilesIntoAPlainFileWithoutLoopDevicesFails() throws Exception {
        InstallResult r = install(config(good(), Map.of("hostname", new WriteFile("/etc/hostname", "node\n", "0644"))), target(IMAGE));
        assertFailed(r, InstallException.Kind.CURTHOOKS, Installer.STAGE_CURTHOOKS);
        assertEquals(IMAGE, r.bytesWritten());
    }

    @Test
    void unreachableWebhookDoesNotHideTheResult() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CurtinConfig config = new CurtinConfig(Map.of("image", good()),
                Map.of("maas", new WebhookReporter("http://127.0.0.1:" + port + "/status", "CK", "TK", "TS")), Map.of(), "");
        InstallResult r = install(config, target(IMAGE));
        assertTrue(r.success(), r.message());
    }

    @Test
    void unreachableConfigFailsWithoutEvents() {
        server.close();
        InstallResult r = install(config(good(), Map.of()), dir.resolve("x"));
        assertEquals(InstallException.Kind.CONFIG, r.failure());
        assertTrue(r.events().isEmpty());
    }

    @Test
    void parsesTheCommandLine() {
        Installer.Arguments a = Installer.parse(new String[] {"--config-url", "http://127.0.0.1:5248/c", "--target", "/dev/vdb",
                "--mount-root", "/mnt/t"});
        InstallerOptions o = a.options();
        assertEquals(null, a.nss(), "the JDK hashes unless told");
        assertEquals(URI.create("http://127.0.0.1:5248/c"), o.configUrl());
        assertEquals(Path.of("/dev/vdb"), o.target());
        assertEquals(Path.of("/mnt/t"), o.mountRoot());
        assertEquals(null, Installer.parse(new String[] {"--config-url", "http://h/c"}).options().target());
        assertEquals("", Installer.parse(new String[] {"--config-url", "http://h/c", "--sha256", "nss"}).nss());
        assertEquals("/opt/nss", Installer.parse(new String[] {"--sha256", "nss:/opt/nss", "--config-url", "http://h/c"}).nss());
        assertEquals(null, Installer.parse(new String[] {"--sha256", "nss", "--sha256", "jdk", "--config-url", "http://h/c"}).nss());
        assertThrows(IllegalArgumentException.class, () -> Installer.parse(new String[] {"--config-url", "http://h/c", "--sha256", "openssl"}));
        assertThrows(IllegalArgumentException.class, () -> Installer.parse(new String[] {"--target", "/dev/vdb"}));
        assertThrows(IllegalArgumentException.class, () -> Installer.parse(new String[] {"--config-url"}));
        assertThrows(IllegalArgumentException.class, () -> Installer.parse(new String[] {"--bogus", "x", "--config-url", "http://h/"}));
    }

    private static InstallEvent stageFinish(InstallResult r, String stage) {
        return r.events().stream().filter(e -> e.name().equals(stage) && InstallEvent.FINISH.equals(e.eventType())).findFirst()
                .orElseThrow();
    }

    private void assertFailed(InstallResult r, InstallException.Kind kind, String stage) {
        assertFalse(r.success());
        assertEquals(kind, r.failure(), r.message());
        assertEquals(stage, r.failedStage());
        InstallEvent stageFail = stageFinish(r, stage);
        assertEquals(InstallEvent.FAIL, stageFail.result());
        InstallEvent last = r.events().get(r.events().size() - 1);
        assertEquals(Installer.CMD_INSTALL, last.name());
        assertEquals(InstallEvent.FAIL, last.result());
        assertTrue(last.description().contains(r.message()), last.description());
        assertNotNull(r.message());
        List<InstallEvent> posted = server.posted().stream().map(TestServer.Posted::event).toList();
        if (!posted.isEmpty()) {
            assertEquals(InstallEvent.FAIL, posted.get(posted.size() - 1).result(), "the failure reached the webhook");
        }
    }
}
