package io.metalcast.curtin.installer;

import static io.metalcast.curtin.installer.Fixtures.dir;
import static io.metalcast.curtin.installer.Fixtures.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The image's {@code /curtin/curtin-hooks}: run after write_files with curtin's environment (and TARGET_DISK), its
 * output on the console, reported as curtin's curthooks command; a non-zero exit fails the install. Into a directory as
 * anyone; as root onto a regular file and a loop device, for a root tarball and a disk image.
 */
class ImageHookTest {
    /** Records its environment, working directory and input files into the target root, then says what it saw. */
    static final String RECORDING_HOOK = """
            #!/bin/sh
            set -e
            out="$TARGET_MOUNT_POINT/hook-env"
            : > "$out"
            for v in TARGET_MOUNT_POINT TARGET_DISK CONFIG WORKING_DIR OUTPUT_FSTAB OUTPUT_NETWORK_CONFIG OUTPUT_NETWORK_STATE \\
                OUTPUT_INTERFACES CURTIN_REPORTSTACK; do
              eval "echo $v=\\${$v-UNSET}" >> "$out"
            done
            echo "PWD=$(pwd)" >> "$out"
            for f in "$OUTPUT_FSTAB" "$OUTPUT_NETWORK_CONFIG" "$OUTPUT_NETWORK_STATE" "$OUTPUT_INTERFACES"; do
              [ -f "$f" ] && echo "present $(basename "$f")" >> "$out"
            done
            cp "$CONFIG" "$TARGET_MOUNT_POINT/hook-config"
            echo "hostname at hook time: $(cat "$TARGET_MOUNT_POINT/etc/hostname")"
            echo "hook done" >&2
            """;

    static final String FAILING_HOOK = """
            #!/bin/sh
            echo "setting up the bootloader"
            echo "grub-install: error: no such device" >&2
            exit 3
            """;

    @TempDir
    Path dir;
    TestServer server;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    final Commands commands = new Commands(Duration.ofSeconds(60));
    final LoopDevices loops = new LoopDevices(commands);

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        loops.close();
        if (Files.exists(dir.resolve("disk.img")) && Commands.runningAsRoot()) {
            assertEquals("", commands.run(List.of("losetup", "-j", dir.resolve("disk.img").toString())), "loop device left attached");
        }
        assertTrue(Files.readString(Path.of("/proc/self/mounts")).lines().noneMatch(l -> l.contains(dir.resolve("mnt").toString())),
                "target left mounted");
    }

    static byte[] tarball(String hook) throws Exception {
        List<TarArchiveEntry> entries = new ArrayList<>(List.of(dir("./", 0755, 0, 0), dir("./etc/", 0755, 0, 0),
                file("./etc/hostname", 0644, 0, 0, "image\n".getBytes(StandardCharsets.UTF_8))));
        if (hook != null) {
            entries.add(dir("./curtin/", 0755, 0, 0));
            entries.add(file("./curtin/curtin-hooks", 0755, 0, 0, hook.getBytes(StandardCharsets.UTF_8)));
        }
        return Fixtures.compress(Compression.GZIP, Fixtures.tar(entries));
    }

    InstallResult install(String type, byte[] data, Path target, boolean attachLoop) throws Exception {
        server.files.put("src", data);
        CurtinConfig config = new CurtinConfig(Map.of("image", new Source(type, server.base() + "/files/src", Sha256.of(data),
                data.length)), Map.of("maas", new WebhookReporter(server.base() + "/MAAS/metadata/status/n", "CK", "TK", "TS")),
                Map.of("hostname", new WriteFile("/etc/hostname", "deployed\n", "0644")), "");
        server.config = CurtinYaml.render(config);
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), attachLoop, Duration.ofSeconds(2));
        return new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    }

    static List<String> names(InstallResult r) {
        return r.events().stream().filter(e -> !InstallEvent.PROGRESS.equals(e.eventType()))
                .map(e -> e.name() + " " + e.eventType() + (e.result() == null ? "" : " " + e.result())).toList();
    }

    /** What the recording hook saw, checked; returns its variables. */
    Map<String, String> assertRecorded(Path root, Path expectedDisk) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        List<String> present = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("hook-env"))) {
            if (line.startsWith("present ")) {
                present.add(line.substring(8));
            } else {
                String[] kv = line.split("=", 2);
                env.put(kv[0], kv[1]);
            }
        }
        assertEquals(root.toAbsolutePath().toString(), env.get("TARGET_MOUNT_POINT"));
        assertEquals(expectedDisk == null ? "" : expectedDisk.toAbsolutePath().toString(), env.get("TARGET_DISK"));
        assertEquals("cmd-install/stage-curthooks/builtin/cmd-curthooks", env.get("CURTIN_REPORTSTACK"));
        Path work = Path.of(env.get("WORKING_DIR"));
        assertEquals(work.toString(), env.get("PWD"), "the hook runs in the working directory");
        for (String v : List.of("CONFIG", "OUTPUT_FSTAB", "OUTPUT_NETWORK_CONFIG", "OUTPUT_NETWORK_STATE", "OUTPUT_INTERFACES")) {
            assertTrue(Path.of(env.get(v)).startsWith(work), v + "=" + env.get(v));
        }
        assertEquals(List.of("fstab", "network_config", "network_state", "interfaces"), present);
        assertEquals(server.config, Files.readString(root.resolve("hook-config")), "CONFIG is the config as fetched");
        assertFalse(Files.exists(work), "the working directory is removed afterwards");
        String out = console.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("metalcast-installer: curtin-hooks: hostname at hook time: deployed\n"), "write_files come first:\n" + out);
        assertTrue(out.contains("metalcast-installer: curtin-hooks: hook done\n"), "stderr on the console:\n" + out);
        return env;
    }

    @Test
    void aTarballsHookRunsWithCurtinsEnvironmentAfterWriteFiles() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        InstallResult r = install("tgz", tarball(RECORDING_HOOK), root, false);
        assertTrue(r.success(), r.message() + "\n" + console);
        assertRecorded(root, null);
        assertEquals(List.of("cmd-install start", "cmd-install/stage-partitioning start", "cmd-install/stage-partitioning finish SUCCESS",
                "cmd-install/stage-extract start", "cmd-install/stage-extract finish SUCCESS", "cmd-install/stage-curthooks start",
                "cmd-install/stage-curthooks/builtin/cmd-curthooks start",
                "cmd-install/stage-curthooks/builtin/cmd-curthooks finish SUCCESS",
                "cmd-install/stage-curthooks finish SUCCESS", "cmd-install finish SUCCESS"), names(r));
        assertEquals(names(r), server.posted().stream().map(TestServer.Posted::event)
                .filter(e -> !InstallEvent.PROGRESS.equals(e.eventType()))
                .map(e -> e.name() + " " + e.eventType() + (e.result() == null ? "" : " " + e.result())).toList(), "posted too");
    }

    @Test
    void aFailingHookFailsTheInstallNamingItsExitCodeAndLastLines() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        InstallResult r = install("tgz", tarball(FAILING_HOOK), root, false);
        assertFalse(r.success());
        assertEquals(InstallException.Kind.HOOK, r.failure(), r.message());
        assertEquals(Installer.STAGE_CURTHOOKS, r.failedStage());
        InstallEvent fail = r.events().stream().filter(e -> e.name().equals(ImageHook.EVENT) && e.failed()).findFirst().orElseThrow();
        assertTrue(fail.description().contains("exited 3"), fail.description());
        assertTrue(fail.description().contains("setting up the bootloader | grub-install: error: no such device"), fail.description());
        assertTrue(names(r).containsAll(List.of("cmd-install/stage-curthooks finish FAIL", "cmd-install finish FAIL")), names(r).toString());
    }

    @Test
    void withoutAHookNothingRunsAndTheTarballStaysWithoutBootloader() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        InstallResult r = install("tgz", tarball(null), root, false);
        assertTrue(r.success(), r.message());
        assertTrue(names(r).stream().noneMatch(n -> n.startsWith(ImageHook.EVENT)), names(r).toString());
        InstallEvent hooks = r.events().stream().filter(e -> e.name().equals(Installer.STAGE_CURTHOOKS) && e.result() != null)
                .findFirst().orElseThrow();
        assertEquals("WARN", hooks.result());
        assertTrue(hooks.description().contains("no bootloader installed"), hooks.description());
    }

    @Test
    void aHookThatIsNotExecutableIsNotRun() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        List<TarArchiveEntry> entries = List.of(dir("./", 0755, 0, 0), dir("./curtin/", 0755, 0, 0),
                file("./curtin/curtin-hooks", 0644, 0, 0, FAILING_HOOK.getBytes(StandardCharsets.UTF_8)));
        InstallResult r = install("tgz", Fixtures.compress(Compression.GZIP, Fixtures.tar(entries)), root, false);
        assertTrue(r.success(), r.message());
        assertTrue(names(r).stream().noneMatch(n -> n.startsWith(ImageHook.EVENT)), names(r).toString());
    }

    @Test
    void theNetworkSectionOfTheConfigIsHandedOn() {
        assertEquals("", ImageHook.networkConfig("sources: {}\n"));
        assertEquals("", ImageHook.networkConfig(": not yaml ["));
        String net = ImageHook.networkConfig("network:\n  version: 2\n  ethernets:\n    eth0: {dhcp4: true}\n");
        assertEquals("network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n", net);
    }

    @ParameterizedTest(name = "root tarball onto a {0}")
    @ValueSource(strings = {"file", "loop"})
    void asRootTheTarballsHookGetsTheWholeDisk(String kind) throws Exception {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices, mkfs, mount)");
        Path backing = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Path target = kind.equals("loop") ? Path.of(loops.attach(backing)) : backing;
        InstallResult r = install("tgz", tarball(recordingHook(dir.resolve("seen"))), target, true);
        assertTrue(r.success(), r.message() + "\n" + console);
        assertRecordedAsRoot(target);
    }

    /** The recording hook, also copying what it recorded to {@code copyTo} (the root is unmounted when the install ends). */
    static String recordingHook(Path copyTo) {
        return RECORDING_HOOK + "mkdir -p '" + copyTo + "'\ncp \"$TARGET_MOUNT_POINT/hook-env\" \"$TARGET_MOUNT_POINT/hook-config\" "
                + "\"$TARGET_MOUNT_POINT/etc/hostname\" '" + copyTo + "/'\n";
    }

    void assertRecordedAsRoot(Path target) throws Exception {
        String env = Files.readString(dir.resolve("seen/hook-env"));
        assertTrue(env.contains("TARGET_DISK=" + target.toAbsolutePath() + "\n"), env);
        assertTrue(env.contains("TARGET_MOUNT_POINT=" + dir.resolve("mnt") + "\n"), env);
        assertTrue(env.contains("CURTIN_REPORTSTACK=" + ImageHook.EVENT + "\n"), env);
        assertEquals("deployed\n", Files.readString(dir.resolve("seen/hostname")), "write_files come first");
        assertEquals(server.config, Files.readString(dir.resolve("seen/hook-config")));
    }

    @Test
    void asRootADiskImagesHookRunsOnThePartitionHoldingCurtin() throws Exception {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices, mkfs, mount)");
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/hostname"), "image\n");
        Files.createDirectories(rootfs.resolve("curtin"));
        Path hook = rootfs.resolve("curtin/curtin-hooks");
        Files.writeString(hook, recordingHook(dir.resolve("seen")));
        Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        long partOffset = 1L << 20;
        long partSize = 30L << 20;
        Path fs = dir.resolve("rootfs.ext4");
        commands.run(List.of("truncate", "-s", Long.toString(partSize), fs.toString()));
        commands.run(List.of("mkfs.ext4", "-q", "-F", "-d", rootfs.toString(), fs.toString()));
        Path img = dir.resolve("image.raw");
        commands.run(List.of("truncate", "-s", Long.toString(partOffset + partSize), img.toString()));
        commands.run(List.of("sfdisk", "-q", img.toString()), "label: dos\nstart=2048, type=83\n");
        try (FileChannel in = FileChannel.open(fs); FileChannel out = FileChannel.open(img, StandardOpenOption.WRITE)) {
            in.transferTo(0, partSize, out.position(partOffset));
        }
        Path backing = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Path target = Path.of(loops.attach(backing));
        InstallResult r = install("dd-raw", Files.readAllBytes(img), target, true);
        assertTrue(r.success(), r.message() + "\n" + console);
        assertRecordedAsRoot(target);
        assertTrue(names(r).contains(ImageHook.EVENT + " finish SUCCESS"), names(r).toString());
    }
}
