package io.metalcast.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Making, limiting, failing and reading raw views beside stored compressed images, on real files. */
class RawViewsTest {
    private static final long NO_LIMIT = Long.MAX_VALUE;

    /** 1 MiB and 10 bytes: data in block 0, blocks 100..101 and the short last block; zeros elsewhere. */
    private static byte[] disk() {
        byte[] b = new byte[(1 << 20) + 10];
        b[5] = 1;
        b[100 * 4096] = 2;
        b[101 * 4096 + 4095] = 3;
        b[b.length - 1] = 4;
        return b;
    }

    private static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    private static double count(SimpleMeterRegistry r, String result) {
        return r.get("boot_resources.raw_views").tag("result", result).counter().count();
    }

    private static List<Path> listed(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void makesOnceSparseWithItsMapAndGoesWithTheImage(@TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RawViews views = new RawViews(store, new BlockMaps(store, registry), registry, new RawViews.Limits(0, 0, NO_LIMIT));
        byte[] disk = disk();
        String sha = store.put(new ByteArrayInputStream(gzip(disk))).sha256();

        StoredRawView made = views.ensure(sha, ImageFiletype.DDGZ).orElseThrow();
        assertEquals(Sha256.of(disk), made.sha256());
        assertEquals(disk.length, made.size());
        assertEquals(3 * 4096 + 10, made.map().mappedBytes());
        assertArrayEquals(disk, Files.readAllBytes(store.rawView(sha)));
        assertEquals(BlockMap.scan(store.rawView(sha), 4096), BlockMap.parse(Files.readAllBytes(store.rawViewMap(sha))));
        assertEquals(made.sha256() + " " + disk.length + "\n", Files.readString(store.rawViewSum(sha)));
        assertEquals(Optional.of(made), views.find(sha));
        assertEquals(Optional.of(made), views.ensure(sha, ImageFiletype.DDGZ), "present: not made again");
        assertEquals(1.0, count(registry, "made"));
        assertEquals(0, views.backfill(Map.of(sha, ImageFiletype.DDGZ)));
        assertEquals(List.of(), listed(store.tmpDir()), "nothing left in tmp");
        assertEquals(Optional.empty(), views.ensure(sha, ImageFiletype.DDRAW), "a raw image gets no view");
        assertEquals(Optional.empty(), views.ensure(sha, ImageFiletype.TGZ), "nor does a root tarball");

        store.delete(sha);
        assertEquals(List.of(), listed(dir.resolve("files")), "the view, its map and sidecar go with the image");
        assertEquals(Optional.empty(), views.find(sha));
    }

    /** minFree, fraction, maxRaw: each alone refuses the 1 MiB disk. */
    @ParameterizedTest
    @CsvSource({"9223372036854775807, 0, 9223372036854775807", "0, 0.999999, 9223372036854775807", "0, 0, 1048576"})
    void aViewBeyondTheLimitsIsRefusedAndLeavesNothing(long minFree, double fraction, long maxRaw, @TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RawViews views = new RawViews(store, new BlockMaps(store, registry), registry, new RawViews.Limits(minFree, fraction, maxRaw));
        String sha = store.put(new ByteArrayInputStream(gzip(disk()))).sha256();
        assertEquals(Optional.empty(), views.ensure(sha, ImageFiletype.DDGZ));
        assertEquals(1.0, count(registry, "refused"));
        assertEquals(0.0, count(registry, "made"));
        assertEquals(List.of(store.path(sha)), listed(dir.resolve("files")), "only the image");
        assertEquals(List.of(), listed(store.tmpDir()));
    }

    @Test
    void aViewThatCannotBeMadeOrReadIsLeftOutAndCounted(@TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RawViews views = new RawViews(store, new BlockMaps(store, registry), registry, new RawViews.Limits(0, 0, NO_LIMIT));
        byte[] truncated = gzip(disk());
        truncated = java.util.Arrays.copyOf(truncated, truncated.length / 2);
        String bad = store.put(new ByteArrayInputStream(truncated)).sha256();
        assertEquals(Optional.empty(), views.ensure(bad, ImageFiletype.DDGZ), "a truncated gzip stream");
        assertEquals(Optional.empty(), views.ensure("ab".repeat(32), ImageFiletype.DDXZ), "no image to read");
        assertEquals(2.0, count(registry, "failed"));
        assertEquals(List.of(store.path(bad)), listed(dir.resolve("files")));
        assertEquals(List.of(), listed(store.tmpDir()));

        String sha = store.put(new ByteArrayInputStream(gzip(disk()))).sha256();
        assertTrue(views.ensure(sha, ImageFiletype.DDGZ).isPresent());
        Files.writeString(store.rawViewSum(sha), "not a sidecar\n", StandardCharsets.US_ASCII);
        assertEquals(Optional.empty(), views.find(sha), "a damaged sidecar names no view");
        Files.delete(store.rawViewSum(sha));
        assertEquals(Optional.empty(), views.find(sha), "no sidecar: incomplete");
        assertEquals(1, views.backfill(Map.of(sha, ImageFiletype.DDGZ)), "made again");
        assertFalse(views.find(sha).isEmpty());
    }
}
