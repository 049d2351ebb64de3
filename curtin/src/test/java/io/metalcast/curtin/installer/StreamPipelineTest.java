package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The stream pipeline on its own: zero-block skipping, Range resume, and every way a source can be bad. */
class StreamPipelineTest {
    static final byte[] IMAGE = Fixtures.diskImage();

    @TempDir
    Path dir;
    TestServer server;
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
    }

    StreamPipeline pipeline(Path sysRoot) {
        return Fixtures.pipeline(commands, sysRoot);
    }

    StreamPipeline.Result write(ImageFiletype type, byte[] served, String sha256, long size, TargetDisk target) throws Exception {
        server.files.put("img", served);
        return pipeline(Path.of("/sys")).writeDisk(new Source(type.curtinType(), server.base() + "/files/img", sha256, size),
                SourceFormat.of(type), target, (w, f, t, n) -> { });
    }

    @Test
    void allZeroBlocksAreSkippedAndTheRestWrittenInRuns() throws Exception {
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        StreamPipeline.Result r = write(ImageFiletype.DDRAW, IMAGE, Sha256.of(IMAGE), IMAGE.length, target);
        assertEquals(Fixtures.ZERO_BYTES, r.zeroSkipped());
        // 4 MiB chunk 0: blocks 0-3, 40-49, 51-63; chunk 1: blocks 64-69, 80-96
        assertEquals(5, r.writes(), "one write per run of non-zero blocks");
        assertFalse(r.direct(), "a regular file goes through the page cache");
        assertArrayEquals(IMAGE, Files.readAllBytes(target.path()));
        assertTrue(r.zeroing().startsWith("truncated"), r.zeroing());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ImageFiletype.class, names = {"DDRAW", "DDGZ", "DDTXZ"})
    void aDroppedConnectionResumesWithARangeRequest(ImageFiletype type) throws Exception {
        byte[] served = Fixtures.encode(type, IMAGE);
        long cut = Math.min(served.length / 2, (3L << 20) + 17);
        server.cutImageAt = cut;
        server.cutsLeft.set(2);
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        StreamPipeline.Result r = write(type, served, Sha256.of(served), served.length, target);
        assertEquals(2, r.resumes());
        assertEquals(List.of("bytes=" + cut + "-", "bytes=" + cut + "-"), server.ranges);
        assertEquals(Sha256.of(served), r.sha256());
        assertArrayEquals(IMAGE, Arrays.copyOf(Files.readAllBytes(target.path()), IMAGE.length));
    }

    @Test
    void aServerThatKeepsDroppingWithoutProgressIsGivenUpOn() throws Exception {
        server.cutImageAt = 1 << 20;
        InstallException e = assertThrows(InstallException.class,
                () -> write(ImageFiletype.DDRAW, IMAGE, "", IMAGE.length, Fixtures.garbageFile(dir, IMAGE.length)));
        assertEquals(Kind.DOWNLOAD, e.kind());
        assertTrue(e.getMessage().contains("gave up after 3 resumes"), e.getMessage());
        assertEquals(3, server.ranges.size());
    }

    @Test
    void aServerIgnoringRangeFailsInsteadOfStartingOver() throws Exception {
        server.cutImageAt = 1 << 20;
        server.cutsLeft.set(1);
        server.rangeSupport = false;
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        InstallException e = assertThrows(InstallException.class,
                () -> write(ImageFiletype.DDRAW, IMAGE, Sha256.of(IMAGE), IMAGE.length, target));
        assertEquals(Kind.DOWNLOAD, e.kind());
        assertTrue(e.getMessage().contains("HTTP 200 (expected: 206)"), e.getMessage());
    }

    record Bad(String name, ImageFiletype type, byte[] served, String sha256, Kind expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> bad() throws Exception {
        byte[] gz = Fixtures.compress(Compression.GZIP, IMAGE);
        byte[] flipped = gz.clone();
        for (int i = gz.length / 2; i < gz.length / 2 + 64; i++) {
            flipped[i] ^= 0x5a;
        }
        String gzSha = Sha256.of(gz);
        byte[] tar = Fixtures.tar(List.of(Fixtures.dir("./", 0755, 0, 0)));
        byte[] other = IMAGE.clone();
        other[IMAGE.length - 1] ^= 1;
        return List.of(
                new Bad("valid gzip of other bytes, sha mismatch", ImageFiletype.DDGZ, Fixtures.compress(Compression.GZIP, other), gzSha,
                        Kind.CHECKSUM_MISMATCH),
                new Bad("corrupted gzip, sha expected", ImageFiletype.DDGZ, flipped, gzSha, Kind.CHECKSUM_MISMATCH),
                new Bad("corrupted gzip, no sha", ImageFiletype.DDGZ, flipped, "", Kind.DECODE),
                new Bad("truncated gzip, no sha", ImageFiletype.DDGZ, Arrays.copyOf(gz, gz.length * 2 / 3), "", Kind.DECODE),
                new Bad("truncated zstd, no sha", ImageFiletype.DDZST, Arrays.copyOf(Fixtures.compress(Compression.ZSTD, IMAGE),
                        1000), "", Kind.DECODE),
                new Bad("raw bytes as dd-xz", ImageFiletype.DDXZ, IMAGE, Sha256.of(IMAGE), Kind.DECODE),
                new Bad("tar without a file", ImageFiletype.DDTAR, tar, Sha256.of(tar), Kind.DECODE));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("bad")
    void aBadSourceFailsLoudlyAndLeavesNothingBootable(Bad bad) throws Exception {
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        InstallException e = assertThrows(InstallException.class, () -> write(bad.type(), bad.served(), bad.sha256(), -1, target));
        assertEquals(bad.expected(), e.kind(), e.getMessage());
        byte[] head = Arrays.copyOf(Files.readAllBytes(target.path()), 1 << 20);
        assertTrue(allEqual(head, (byte) 0) || allEqual(head, (byte) 0xa5), "first MiB zeroed, or never written");
    }

    @Test
    void aLoopDeviceThatCannotZeroGetsItsZeroBlocksWritten() throws Exception {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices)");
        TargetDisk file = Fixtures.garbageFile(dir, 8 << 20);
        String loop = loops.attach(file.path());
        Path fakeSys = Fixtures.sysRootThatCannotZero(dir, loop);
        server.files.put("img", IMAGE);
        TargetDisk target = new TargetDisk(Path.of(loop), 8 << 20, true);
        Source source = new Source("dd-raw", server.base() + "/files/img", Sha256.of(IMAGE), IMAGE.length);

        StreamPipeline.Result cannot = pipeline(fakeSys).writeDisk(source, SourceFormat.of(ImageFiletype.DDRAW), target, (w, f, t, n) -> { });
        assertEquals(0, cannot.zeroSkipped(), cannot.zeroing());
        assertTrue(cannot.direct(), "a block device is written with O_DIRECT");
        assertArrayEquals(IMAGE, Arrays.copyOf(Files.readAllBytes(Path.of(loop)), IMAGE.length));

        Files.write(file.path(), Fixtures.garbage(8 << 20));
        commands.run(List.of("blockdev", "--flushbufs", loop));
        StreamPipeline.Result can = pipeline(Path.of("/sys")).writeDisk(source, SourceFormat.of(ImageFiletype.DDRAW), target, (w, f, t, n) -> { });
        assertEquals(Fixtures.ZERO_BYTES, can.zeroSkipped(), can.zeroing());
        assertTrue(can.zeroing().contains("blkdiscard -z"), can.zeroing());
        assertArrayEquals(IMAGE, Arrays.copyOf(Files.readAllBytes(Path.of(loop)), IMAGE.length));
    }

    private static boolean allEqual(byte[] data, byte b) {
        for (byte x : data) {
            if (x != b) {
                return false;
            }
        }
        return true;
    }
}
