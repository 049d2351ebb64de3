package io.metalcast.engine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.image.BlockMap;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Making, reading and failing block maps beside stored images, on real files. */
class BlockMapsTest {

    /** 64 KiB: data in blocks 0 and 9..10, zeros elsewhere. */
    private static byte[] image() {
        byte[] b = new byte[64 << 10];
        b[0] = 1;
        b[9 * 4096 + 17] = 2;
        b[10 * 4096 + 4095] = 3;
        return b;
    }

    private static double count(SimpleMeterRegistry r, String result) {
        return r.get("boot_resources.block_maps").tag("result", result).counter().count();
    }

    @Test
    void makesOnceReadsBackAndGoesWithTheImage(@TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BlockMaps maps = new BlockMaps(store, registry);
        String sha = store.put(new ByteArrayInputStream(image())).sha256();

        StoredBlockMap made = maps.ensure(sha).orElseThrow();
        assertEquals(3 * 4096, made.mappedBytes());
        assertEquals(64 << 10, made.imageSize());
        assertEquals("0.01 of 0.06 MiB hold data (19%)", made.summary());
        assertEquals(Optional.of(made), maps.find(sha));
        assertEquals(Optional.of(made), maps.ensure(sha), "present: not made again");
        assertEquals(1.0, count(registry, "made"));
        assertEquals(BlockMap.scan(store.path(sha), BlockMap.DEFAULT_BLOCK_SIZE), BlockMap.parse(Files.readAllBytes(store.blockMap(sha))));
        assertEquals(List.of(), Files.list(store.tmpDir()).toList(), "nothing left in tmp");
        assertEquals(0, maps.backfill(List.of(sha)));

        store.delete(sha);
        assertFalse(Files.exists(store.blockMap(sha)));
        assertEquals(Optional.empty(), maps.find(sha));
    }

    @Test
    void aMapThatCannotBeMadeOrReadIsLeftOutAndCounted(@TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BlockMaps maps = new BlockMaps(store, registry);
        String gone = "ab".repeat(32);
        assertEquals(Optional.empty(), maps.ensure(gone), "no image to read");
        assertEquals(1.0, count(registry, "failed"));
        assertFalse(Files.exists(store.blockMap(gone)));

        String sha = store.put(new ByteArrayInputStream(image())).sha256();
        byte[] good = Files.readAllBytes(Files.write(store.blockMap(sha), BlockMap.scan(store.path(sha), 4096).render()));
        assertTrue(maps.find(sha).isPresent());
        Files.write(store.blockMap(sha), new String(good, StandardCharsets.UTF_8).replace("<Range", "<Range ").getBytes(StandardCharsets.UTF_8));
        Files.setLastModifiedTime(store.blockMap(sha), java.nio.file.attribute.FileTime.fromMillis(1_000));
        assertEquals(Optional.empty(), maps.find(sha), "a damaged map is not named (its checksum fails)");
    }
}
