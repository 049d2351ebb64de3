package io.metalcast.curtin.installer;

import static io.metalcast.curtin.installer.Fixtures.dir;
import static io.metalcast.curtin.installer.Fixtures.fifo;
import static io.metalcast.curtin.installer.Fixtures.file;
import static io.metalcast.curtin.installer.Fixtures.link;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every filetype through the whole installer, over real HTTP, onto a regular file or into a directory. */
class StreamInstallTest {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    static final byte[] IMAGE = Fixtures.diskImage();

    @TempDir
    Path dir;
    TestServer server;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    InstallResult install(Source source, Path target, Map<String, WriteFile> files) {
        CurtinConfig config = new CurtinConfig(Map.of("image", source),
                Map.of("maas", new WebhookReporter(server.base() + "/MAAS/metadata/status/n", "CK", "TK", "TS")), files, "");
        server.config = CurtinYaml.render(config);
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), false, Duration.ofMillis(1));
        return new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    }

    Source publish(String name, String type, byte[] data, boolean withChecks) throws Exception {
        server.files.put(name, data);
        return new Source(type, server.base() + "/files/" + name, withChecks ? Sha256.of(data) : "", withChecks ? data.length : -1);
    }

    Path garbageTarget(int length) throws Exception {
        Path t = dir.resolve("disk.img");
        Files.write(t, Fixtures.garbage(length));
        return t;
    }

    static Stream<ImageFiletype> diskTypes() {
        return Arrays.stream(ImageFiletype.values()).filter(ImageFiletype::diskImage);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("diskTypes")
    void everyDiskFiletypeLandsByteForByteOverGarbage(ImageFiletype type) throws Exception {
        byte[] encoded = Fixtures.encode(type, IMAGE);
        Source source = publish(type.storedName(), type.curtinType(), encoded, true);
        Path target = garbageTarget(IMAGE.length + (1 << 20));

        InstallResult r = install(source, target, Map.of());

        assertTrue(r.success(), r.message() + "\n" + console);
        assertEquals(Sha256.of(encoded), r.sha256(), "sha256 is over the bytes as downloaded");
        assertEquals(IMAGE.length, r.bytesWritten());
        byte[] written = Files.readAllBytes(target);
        assertArrayEquals(IMAGE, Arrays.copyOf(written, IMAGE.length), "zero regions read back as zeros over old garbage");
        String out = console.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("sha256 ok"), out);
        assertTrue(out.contains(Units.bytes(Fixtures.ZERO_BYTES) + " of zero blocks skipped"), out);
        if (type == ImageFiletype.DDRAW) {
            assertEquals((byte) 0xa5, written[written.length - 1], "known image length: bytes past it are kept");
        }
    }

    @ParameterizedTest(name = "{0} claims {1}")
    @MethodSource("mislabelled")
    void compressionIsTakenFromTheMagicBytes(ImageFiletype type, Compression actual) throws Exception {
        byte[] encoded = Fixtures.compress(actual, type.diskImage() ? IMAGE : tree());
        Source source = publish("x", type.curtinType(), encoded, true);
        Path target = type.diskImage() ? garbageTarget(IMAGE.length) : Files.createDirectories(dir.resolve("root"));
        InstallResult r = install(source, target, Map.of());
        assertTrue(r.success(), r.message());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("(" + actual.name().toLowerCase() + ")"), console.toString());
    }

    static Stream<Arguments> mislabelled() {
        return Stream.of(Arguments.of(ImageFiletype.DDGZ, Compression.ZSTD), Arguments.of(ImageFiletype.DDXZ, Compression.GZIP),
                Arguments.of(ImageFiletype.TGZ, Compression.ZSTD));
    }

    @Test
    void progressNamesBytesRateAndEta() throws Exception {
        byte[] big = new byte[12 << 20];
        new Random(3).nextBytes(big);
        Source source = publish("big", "dd-raw", big, true);
        InstallResult r = install(source, garbageTarget(big.length), Map.of());
        assertTrue(r.success(), r.message());
        List<String> progress = r.events().stream().filter(e -> InstallEvent.PROGRESS.equals(e.eventType()))
                .map(InstallEvent::description).toList();
        assertFalse(progress.isEmpty());
        assertTrue(progress.stream().allMatch(p -> p.matches("wrote [0-9.]+ [KMG]iB at [0-9.]+ MiB/s, fetched [0-9.]+ [KMG]iB of 12\\.0 MiB"
                + " at [0-9.]+ MiB/s, ETA [0-9.]+ s")), progress.toString());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ImageFiletype.class, names = {"TGZ", "TBZ", "TXZ"})
    void rootTarballsUnpackIntoADirectoryWithModesLinksAndOwners(ImageFiletype type) throws Exception {
        byte[] tar = tree();
        byte[] encoded = Fixtures.compress(switch (type) {
            case TGZ -> Compression.GZIP;
            case TBZ -> Compression.BZIP2;
            default -> Compression.XZ;
        }, tar);
        Path root = Files.createDirectories(dir.resolve("root"));
        InstallResult r = install(publish(type.storedName(), type.curtinType(), encoded, true), root,
                Map.of("hostname", new WriteFile("/etc/hostname", "deployed\n", "0644")));
        assertTrue(r.success(), r.message() + "\n" + console);
        assertTree(root, "deployed\n");
        InstallEvent hooks = r.events().stream().filter(e -> e.name().equals(Installer.STAGE_CURTHOOKS) && e.result() != null)
                .findFirst().orElseThrow();
        assertEquals("WARN", hooks.result());
        assertTrue(hooks.description().contains("no bootloader"), hooks.description());
    }

    @Test
    void aTarballEntryLeavingTheTargetIsRefused() throws Exception {
        for (List<TarArchiveEntry> evil : List.of(
                List.of(file("../escaped", 0644, 0, 0, new byte[] {1})),
                List.of(link("out", TarArchiveEntry.LF_SYMLINK, dir.toString()), file("out/escaped", 0644, 0, 0, new byte[] {1})))) {
            Path root = Files.createDirectories(dir.resolve("root" + evil.size()));
            byte[] tgz = Fixtures.compress(Compression.GZIP, Fixtures.tar(evil));
            InstallResult r = install(publish("evil", "tgz", tgz, true), root, Map.of());
            assertEquals(InstallException.Kind.DECODE, r.failure(), r.message());
            assertFalse(Files.exists(dir.resolve("escaped")));
        }
    }

    @Test
    void aDiskImageIsNotWrittenIntoADirectory() throws Exception {
        InstallResult r = install(publish("i", "dd-raw", IMAGE, true), Files.createDirectories(dir.resolve("d")), Map.of());
        assertEquals(InstallException.Kind.TARGET, r.failure(), r.message());
    }

    static final byte[] BIG = new byte[(1 << 20) + 4321];

    static {
        new Random(11).nextBytes(BIG);
    }

    /** A small root filesystem: directories with odd modes, setuid, links of both kinds, a FIFO, owners, one multi-buffer file. */
    static byte[] tree() throws Exception {
        return Fixtures.tar(List.of(
                dir("./", 0755, 0, 0),
                dir("./etc/", 0755, 0, 0),
                file("./etc/hostname", 0644, 0, 0, "image\n".getBytes(StandardCharsets.UTF_8)),
                dir("./usr/", 0755, 0, 0),
                dir("./usr/bin/", 0755, 0, 0),
                file("./usr/bin/su", 04755, 0, 0, "su".getBytes(StandardCharsets.UTF_8)),
                link("./usr/bin/su-hard", TarArchiveEntry.LF_LINK, "./usr/bin/su"),
                link("./bin", TarArchiveEntry.LF_SYMLINK, "usr/bin"),
                file("./bin/sh", 0755, 0, 0, "sh".getBytes(StandardCharsets.UTF_8)),
                link("./etc/localtime", TarArchiveEntry.LF_SYMLINK, "/usr/share/zoneinfo/Etc/UTC"),
                dir("./tmp/", 01777, 0, 0),
                dir("./home/", 0755, 0, 0),
                dir("./home/u/", 0700, 1000, 1001),
                file("./home/u/big", 0600, 1000, 1001, BIG),
                fifo("./run-fifo", 0620)));
    }

    static void assertTree(Path root, String hostname) throws Exception {
        assertEquals(hostname, Files.readString(root.resolve("etc/hostname")));
        assertEquals(04755, mode(root.resolve("usr/bin/su")));
        assertEquals(Files.getAttribute(root.resolve("usr/bin/su"), "unix:ino"), Files.getAttribute(root.resolve("usr/bin/su-hard"), "unix:ino"));
        assertEquals(Path.of("usr/bin"), Files.readSymbolicLink(root.resolve("bin")));
        assertEquals("sh", Files.readString(root.resolve("usr/bin/sh")), "written through the relative link inside the root");
        assertEquals(Path.of("/usr/share/zoneinfo/Etc/UTC"), Files.readSymbolicLink(root.resolve("etc/localtime")));
        assertEquals(01777, mode(root.resolve("tmp")));
        assertEquals(0700, mode(root.resolve("home/u")));
        assertArrayEquals(BIG, Files.readAllBytes(root.resolve("home/u/big")));
        assertEquals(0010620, (Integer) Files.getAttribute(root.resolve("run-fifo"), "unix:mode", NOFOLLOW));
        assertEquals(Fixtures.MTIME, Files.getLastModifiedTime(root.resolve("home/u")).toInstant());
        assertEquals(Fixtures.MTIME, Files.getLastModifiedTime(root.resolve("usr/bin/su")).toInstant());
        if (Commands.runningAsRoot()) {
            assertEquals(1000, Files.getAttribute(root.resolve("home/u/big"), "unix:uid"));
            assertEquals(1001, Files.getAttribute(root.resolve("home/u"), "unix:gid"));
        }
    }

    static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
    }
}
