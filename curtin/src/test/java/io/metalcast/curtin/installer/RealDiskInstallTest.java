package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * As root: builds a real disk image (DOS table, one ext4 partition whose root holds /curtin), installs it onto a loop
 * device or a plain file, and reads the written files back out of the partition with debugfs.
 */
class RealDiskInstallTest {
    private static final long IMAGE = 64L << 20;
    private static final long PART_OFFSET = 1L << 20;
    private static final long PART_SIZE = IMAGE - PART_OFFSET - (1L << 20);

    @TempDir
    Path dir;
    TestServer server;
    final Commands commands = new Commands(Duration.ofSeconds(60));
    final LoopDevices loops = new LoopDevices(commands);

    @BeforeAll
    static void needsRoot() {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices, mount)");
    }

    @BeforeEach
    void start() throws IOException {
        server = new TestServer();
    }

    @AfterEach
    void cleanUp() throws Exception {
        server.close();
        loops.close();
        for (Path backing : List.of(dir.resolve("disk.img"), dir.resolve("image.raw"))) {
            if (Files.exists(backing)) {
                assertEquals("", commands.run(List.of("losetup", "-j", backing.toString())), "installer left a loop device attached");
            }
        }
        if (Files.exists(dir.resolve("mnt"))) {
            assertTrue(Files.readString(Path.of("/proc/self/mounts")).lines().noneMatch(l -> l.contains(dir.resolve("mnt").toString())),
                    "installer left the target mounted");
        }
    }

    @ParameterizedTest(name = "target {0}, image with /curtin: {1}")
    @CsvSource({"loop, true", "file, true", "loop, false"})
    void installsARealImageAndWritesFilesIntoItsRoot(String targetKind, boolean withCurtin) throws Exception {
        byte[] image = buildImage(withCurtin);
        server.image = image;
        Map<String, WriteFile> files = new LinkedHashMap<>();
        files.put("hostname", new WriteFile("/etc/hostname", "deployed-node\n", "0600"));
        files.put("marker", new WriteFile("/var/lib/metalcast/new/dir/marker", "yes", "0755"));
        CurtinConfig config = new CurtinConfig(Map.of("image", new Source("dd-raw", server.base() + "/image", Sha256.of(image), image.length)),
                Map.of("maas", new WebhookReporter(server.base() + "/MAAS/metadata/status/n1", "CK", "TK", "TS")), files, "");
        server.config = CurtinYaml.render(config);

        Path backing = dir.resolve("disk.img");
        try (FileChannel ch = FileChannel.open(backing, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), (300L << 20) - 1); // sparse 300 MiB
        }
        Path target = backing;
        if (targetKind.equals("loop")) {
            target = Path.of(loops.attach(backing));
        }
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), true, Duration.ofSeconds(2));
        InstallResult r = new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
        String out = console.toString(StandardCharsets.UTF_8);

        if (!withCurtin) {
            assertEquals(InstallException.Kind.CURTHOOKS, r.failure(), out);
            assertTrue(r.message().startsWith("no partition of " + target + " holds /curtin: "), r.message());
            return;
        }
        assertTrue(r.success(), out);
        InstallEvent hooks = r.events().stream().filter(e -> e.name().equals(Installer.STAGE_CURTHOOKS) && e.result() != null)
                .findFirst().orElseThrow();
        assertEquals(InstallEvent.SUCCESS, hooks.result(), hooks.description());
        Path partition = dir.resolve("part.ext4");
        copyRange(backing, PART_OFFSET, PART_SIZE, partition);
        assertEquals("deployed-node", debugfs(partition, "cat /etc/hostname").trim());
        assertEquals("yes", debugfs(partition, "cat /var/lib/metalcast/new/dir/marker").trim());
        assertTrue(debugfs(partition, "stat /etc/hostname").contains("Mode:  0600"), debugfs(partition, "stat /etc/hostname"));
        assertTrue(debugfs(partition, "stat /var/lib/metalcast/new/dir/marker").contains("Mode:  0755"));
        assertEquals("kept", debugfs(partition, "cat /curtin/kept").trim(), "the rest of the image is untouched");
    }

    /** A 64 MiB disk image: DOS label, one Linux partition at 1 MiB, an ext4 filesystem filled from a directory. */
    private byte[] buildImage(boolean withCurtin) throws Exception {
        Path root = dir.resolve("rootfs");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/hostname"), "image-default\n");
        if (withCurtin) {
            Files.createDirectories(root.resolve("curtin"));
            Files.writeString(root.resolve("curtin/kept"), "kept\n");
        }
        Path fs = dir.resolve("rootfs.ext4");
        commands.run(List.of("truncate", "-s", Long.toString(PART_SIZE), fs.toString()));
        commands.run(List.of("mkfs.ext4", "-q", "-F", "-d", root.toString(), fs.toString()));
        Path img = dir.resolve("image.raw");
        commands.run(List.of("truncate", "-s", Long.toString(IMAGE), img.toString()));
        Process p = new ProcessBuilder("sfdisk", "-q", img.toString()).redirectErrorStream(true).start();
        p.getOutputStream().write(("label: dos\nstart=2048, size=" + PART_SIZE / 512 + ", type=83\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String sfdisk = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), sfdisk);
        try (FileChannel in = FileChannel.open(fs); FileChannel out = FileChannel.open(img, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < PART_SIZE) {
                done += in.transferTo(done, PART_SIZE - done, out.position(PART_OFFSET + done));
            }
        }
        return Files.readAllBytes(img);
    }

    private static void copyRange(Path from, long offset, long length, Path to) throws IOException {
        try (FileChannel in = FileChannel.open(from); FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < length) {
                done += in.transferTo(offset + done, length - done, out);
            }
        }
    }

    private String debugfs(Path fs, String request) throws Exception {
        Process p = new ProcessBuilder("debugfs", "-R", request, fs.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "debugfs " + request);
        return out;
    }
}
