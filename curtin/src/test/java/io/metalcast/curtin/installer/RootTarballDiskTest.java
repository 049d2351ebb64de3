package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * As root: a root tarball onto a whole disk (a regular file through a loop device, or a loop device with partition scanning):
 * partition table, ext4, unpack, write_files; then the partition is mounted read-only and its tree compared. A dd-zst image
 * onto a loop device (zeroed with blkdiscard -z) is compared byte for byte.
 */
class RootTarballDiskTest {
    private static final long DISK = 64L << 20;

    @TempDir
    Path dir;
    TestServer server;
    final Commands commands = new Commands(Duration.ofSeconds(60));
    final List<String> loops = new ArrayList<>();
    final List<Path> mounts = new ArrayList<>();

    @BeforeAll
    static void needsRoot() {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices, mkfs, mount)");
    }

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void cleanUp() throws Exception {
        server.close();
        for (Path m : mounts) {
            commands.run(List.of("umount", m.toString()));
        }
        for (String loop : loops) {
            commands.run(List.of("losetup", "-d", loop));
        }
        Path backing = dir.resolve("disk.img");
        if (Files.exists(backing)) {
            assertEquals("", commands.run(List.of("losetup", "-j", backing.toString())), "installer left a loop device attached");
        }
        assertTrue(Files.readString(Path.of("/proc/self/mounts")).lines().noneMatch(l -> l.contains(dir.resolve("mnt").toString())),
                "installer left the target mounted");
    }

    InstallResult install(Source source, Path target, Map<String, WriteFile> files, ByteArrayOutputStream console) {
        server.config = CurtinYaml.render(new CurtinConfig(Map.of("root", source), Map.of(), files, ""));
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), true, Duration.ofSeconds(2));
        return new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    }

    Path disk() throws Exception {
        Path backing = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(DISK);
        }
        return backing;
    }

    @ParameterizedTest(name = "target {0}")
    @ValueSource(strings = {"file", "loop"})
    void aRootTarballGetsAFilesystemOfItsOwn(String kind) throws Exception {
        Path backing = disk();
        Path target = backing;
        if (kind.equals("loop")) {
            String loop = commands.run(List.of("losetup", "-f", "--show", "-P", backing.toString()));
            loops.add(loop);
            target = Path.of(loop);
        }
        byte[] tgz = Fixtures.compress(Compression.GZIP, StreamInstallTest.tree());
        server.files.put("root.tgz", tgz);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        InstallResult r = install(new Source("tgz", server.base() + "/files/root.tgz", Sha256.of(tgz), tgz.length), target,
                Map.of("hostname", new WriteFile("/etc/hostname", "deployed\n", "0644")), console);
        assertTrue(r.success(), r.message() + "\n" + console);

        Path check = Files.createDirectories(dir.resolve("check"));
        String loop = commands.run(List.of("losetup", "-f", "--show", "-o", Long.toString(RootFilesystem.START), backing.toString()));
        loops.add(0, loop);
        commands.run(List.of("mount", "-o", "ro", loop, check.toString()));
        mounts.add(check);
        StreamInstallTest.assertTree(check, "deployed\n");
        assertEquals("ext4", commands.run(List.of("findmnt", "-n", "-o", "FSTYPE", check.toString())));
    }

    @org.junit.jupiter.api.Test
    void aZstdImageOntoALoopDevice() throws Exception {
        Path backing = dir.resolve("disk.img");
        Files.write(backing, Fixtures.garbage(8 << 20));
        String loop = commands.run(List.of("losetup", "-f", "--show", backing.toString()));
        loops.add(loop);
        byte[] image = StreamInstallTest.IMAGE;
        byte[] zst = Fixtures.compress(Compression.ZSTD, image);
        server.files.put("root-dd.zst", zst);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        InstallResult r = install(new Source("dd-zst", server.base() + "/files/root-dd.zst", Sha256.of(zst), zst.length),
                Path.of(loop), Map.of(), console);
        // no partition with /curtin in this image: the extract succeeded, curthooks then fail as curtin's would
        assertEquals(InstallException.Kind.CURTHOOKS, r.failure(), r.message() + "\n" + console);
        assertEquals(image.length, r.bytesWritten());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("with blkdiscard -z"), console.toString());
        assertTrue(Arrays.equals(image, Arrays.copyOf(Files.readAllBytes(backing), image.length)), "image on the device");
    }
}
