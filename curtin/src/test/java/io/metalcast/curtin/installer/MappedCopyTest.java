package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw images written by block map: only mapped ranges fetched, each verified; the map itself checked; resume; fallback. */
class MappedCopyTest {
    static final byte[] IMAGE = Fixtures.diskImage();
    static final int ZB = 64 << 10;

    @TempDir
    Path dir;
    TestServer server;
    final Commands commands = new Commands(Duration.ofSeconds(60));
    final LoopDevices loops = new LoopDevices(commands);
    BlockMap map;
    byte[] mapFile;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        Path image = dir.resolve("image.raw");
        Files.write(image, IMAGE);
        map = BlockMap.scan(image, BlockMap.DEFAULT_BLOCK_SIZE);
        mapFile = map.render();
        server.files.put("img", IMAGE);
        server.files.put("img.bmap", mapFile);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        loops.close();
    }

    StreamPipeline pipeline(Path sysRoot) {
        return Fixtures.pipeline(commands, sysRoot);
    }

    Source source() throws Exception {
        return new Source("dd-raw", server.base() + "/files/img", Sha256.of(IMAGE), IMAGE.length)
                .withBlockMap(server.base() + "/files/img.bmap", Sha256.of(mapFile));
    }

    StreamPipeline.Result write(Source source, TargetDisk target, Path sysRoot) throws Exception {
        StreamPipeline p = pipeline(sysRoot);
        return p.writeMapped(source, p.blockMap(source), target, (w, f, t, n) -> { });
    }

    @Test
    void rangesCloserThanTheGapShareARequest() {
        // Fixtures' zero runs: blocks 4-39 (2.25 MiB), 50 (64 KiB) and 70-79 (640 KiB) of 64 KiB
        assertEquals(4, map.ranges().size());
        List<MappedCopy.Request> requests = MappedCopy.requests(map, MappedCopy.GAP);
        assertEquals(List.of(0L, 40L * ZB, 80L * ZB), requests.stream().map(MappedCopy.Request::from).toList());
        assertEquals(List.of(4L * ZB, 70L * ZB, (long) IMAGE.length), requests.stream().map(MappedCopy.Request::to).toList());
        assertEquals(List.of(new MappedCopy.Piece(40L * ZB, 10L * ZB, 1), new MappedCopy.Piece(50L * ZB, ZB, -1),
                new MappedCopy.Piece(51L * ZB, 19L * ZB, 2)), requests.get(1).pieces());
        assertEquals(4, MappedCopy.requests(map, 1).size(), "no gap shared: one request per range");
        assertEquals(1, MappedCopy.requests(map, 1L << 40).size(), "every gap shared: one request");
    }

    @Test
    void fetchesAndWritesOnlyTheMappedRangesEachVerified() throws Exception {
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length + 4096);
        StreamPipeline.Result r = write(source(), target, Path.of("/sys"));
        byte[] written = Files.readAllBytes(target.path());
        assertArrayEquals(IMAGE, Arrays.copyOf(written, IMAGE.length));
        assertEquals(IMAGE.length - Fixtures.ZERO_BYTES + ZB, r.sourceBytes(), "mapped bytes plus the one shared 64 KiB gap");
        assertEquals(IMAGE.length - map.mappedBytes(), r.zeroSkipped());
        assertEquals(4, r.mappedRanges());
        assertEquals(IMAGE.length, r.written());
        assertEquals(List.of("bytes=0-" + (4 * ZB - 1), "bytes=" + 40 * ZB + "-" + (70 * ZB - 1), "bytes=" + 80 * ZB + "-" + (IMAGE.length - 1)),
                server.ranges);
        assertEquals(Fixtures.garbage(IMAGE.length + 4096)[IMAGE.length + 5], written[IMAGE.length + 5], "bytes past the image untouched");
    }

    @Test
    void anAllZeroImageFetchesNothingButItsMap() throws Exception {
        byte[] zeros = new byte[3 << 20];
        Path image = dir.resolve("zeros.raw");
        Files.write(image, zeros);
        byte[] zeroMap = BlockMap.scan(image, BlockMap.DEFAULT_BLOCK_SIZE).render();
        server.files.put("zeros", zeros);
        server.files.put("zeros.bmap", zeroMap);
        Source source = new Source("dd-raw", server.base() + "/files/zeros", Sha256.of(zeros), zeros.length)
                .withBlockMap(server.base() + "/files/zeros.bmap", Sha256.of(zeroMap));
        TargetDisk target = Fixtures.garbageFile(dir, zeros.length);
        StreamPipeline.Result r = write(source, target, Path.of("/sys"));
        assertEquals(0, r.sourceBytes());
        assertEquals(0, r.mappedRanges());
        assertEquals(List.of(), server.ranges, "no Range request at all");
        assertArrayEquals(zeros, Files.readAllBytes(target.path()));
    }

    @Test
    void aDroppedConnectionResumesInsideItsRange() throws Exception {
        long cut = 40L * ZB + 300_000;
        server.cutImageAt = cut;
        server.cutsLeft.set(1);
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        StreamPipeline.Result r = write(source(), target, Path.of("/sys"));
        assertEquals(1, r.resumes());
        assertEquals("bytes=" + cut + "-" + (70 * ZB - 1), server.ranges.get(2));
        assertArrayEquals(IMAGE, Files.readAllBytes(target.path()));
    }

    @Test
    void aDamagedRangeFailsLoudlyAndLeavesNothingBootable() throws Exception {
        byte[] damaged = IMAGE.clone();
        damaged[60 * ZB + 5] ^= 1;
        server.files.put("img", damaged);
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        InstallException e = assertThrows(InstallException.class, () -> write(source(), target, Path.of("/sys")));
        assertEquals(Kind.CHECKSUM_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("bytes " + 51 * ZB + "-" + (70 * ZB - 1) + " (block map range "), e.getMessage());
        byte[] head = Arrays.copyOf(Files.readAllBytes(target.path()), 1 << 20);
        assertTrue(Arrays.equals(head, new byte[1 << 20]), "first MiB zeroed");
    }

    @Test
    void theMapMustMatchTheConfigsSha256ParseAndFitTheSource() throws Exception {
        Source wrongSum = source().withBlockMap(server.base() + "/files/img.bmap", "f".repeat(64));
        assertEquals(Kind.CHECKSUM_MISMATCH, assertThrows(InstallException.class, () -> pipeline(Path.of("/sys")).blockMap(wrongSum)).kind());

        byte[] junk = "<bmap version=\"2.0\"></bmap>".getBytes(StandardCharsets.UTF_8);
        server.files.put("junk.bmap", junk);
        Source unparsable = source().withBlockMap(server.base() + "/files/junk.bmap", Sha256.of(junk));
        assertEquals(Kind.DECODE, assertThrows(InstallException.class, () -> pipeline(Path.of("/sys")).blockMap(unparsable)).kind());

        Source longer = new Source("dd-raw", server.base() + "/files/img", "", IMAGE.length + 1)
                .withBlockMap(source().bmap(), source().bmapSha256());
        InstallException e = assertThrows(InstallException.class, () -> pipeline(Path.of("/sys")).blockMap(longer));
        assertEquals(Kind.SIZE_MISMATCH, e.kind(), e.getMessage());

        Source missing = source().withBlockMap(server.base() + "/files/none.bmap", "a".repeat(64));
        assertEquals(Kind.DOWNLOAD, assertThrows(InstallException.class, () -> pipeline(Path.of("/sys")).blockMap(missing)).kind());
    }

    @Test
    void aLoopDeviceThatCannotZeroGetsTheUnmappedZerosWrittenWithoutFetchingThem() throws Exception {
        assumeTrue(Commands.runningAsRoot(), "needs root (loop devices)");
        String loop = loops.attach(Fixtures.garbageFile(dir, 8 << 20).path());
        Path fakeSys = Fixtures.sysRootThatCannotZero(dir, loop);
        StreamPipeline.Result r = write(source(), new TargetDisk(Path.of(loop), 8 << 20, true), fakeSys);
        assertEquals(0, r.zeroSkipped(), r.zeroing());
        assertTrue(r.direct(), "a block device is written with O_DIRECT");
        assertEquals(IMAGE.length - Fixtures.ZERO_BYTES + ZB, r.sourceBytes());
        commands.run(List.of("blockdev", "--flushbufs", loop));
        assertArrayEquals(IMAGE, Arrays.copyOf(Files.readAllBytes(Path.of(loop)), IMAGE.length));
    }

    /** The installer uses the map the config names, and streams the whole image when the map cannot be fetched. */
    @Test
    void theInstallerWritesByMapAndFallsBackToTheStreamWithoutOne() throws Exception {
        TargetDisk target = Fixtures.garbageFile(dir, IMAGE.length);
        String out = install(source(), target.path());
        assertTrue(out.contains("extract: by block map " + source().bmap()), out);
        assertTrue(out.contains("sha256 ok for each of the 4 mapped range(s)"), out);
        assertArrayEquals(IMAGE, Files.readAllBytes(target.path()));

        Files.write(target.path(), Fixtures.garbage(IMAGE.length));
        server.ranges.clear();
        Source noMap = source().withBlockMap(server.base() + "/files/gone.bmap", "a".repeat(64));
        String fallback = install(noMap, target.path());
        assertTrue(fallback.contains("block map unavailable") && fallback.contains("streaming the whole image"), fallback);
        assertTrue(fallback.contains("sha256 ok"), fallback);
        assertFalse(fallback.contains("mapped range"), fallback);
        assertArrayEquals(IMAGE, Files.readAllBytes(target.path()));
    }

    private String install(Source source, Path target) {
        server.config = CurtinYaml.render(new CurtinConfig(Map.of("image", source), Map.of(), Map.of(), ""));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        InstallerOptions options = new InstallerOptions(URI.create(server.base() + "/config"), target, dir.resolve("mnt"),
                Path.of("/sys"), false, Duration.ofMillis(1));
        InstallResult r = new Installer(options, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
        String out = console.toString(StandardCharsets.UTF_8);
        assertTrue(r.success(), r.message() + "\n" + out);
        return out;
    }
}
