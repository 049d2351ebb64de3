package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The streaming block map equals the one scanned from the file; disk images come out of their wrappers whole. */
class BlockMapBuilderTest {
    private static final int BS = 4096;

    @TempDir
    Path dir;

    /** {@code blocks} blocks and {@code tail} bytes: data in blocks 0, 3-4, the one before last and the tail. */
    private static byte[] image(int blocks, int tail) {
        byte[] all = new byte[blocks * BS + tail];
        Random r = new Random(blocks * 31L + tail);
        for (int off : new int[] {0, 3 * BS, 4 * BS + 4095, (blocks - 2) * BS + 9}) {
            if (off >= 0 && off < all.length) {
                all[off] = (byte) (r.nextInt(255) + 1);
            }
        }
        if (tail > 0) {
            all[all.length - 1] = 7;
        }
        return all;
    }

    @ParameterizedTest
    @CsvSource({"12, 0", "12, 100", "1, 0", "0, 5", "0, 0", "8, 4095"})
    void equalsTheScanOfTheSameBytes(int blocks, int tail) throws Exception {
        byte[] bytes = image(blocks, tail);
        BlockMapBuilder b = new BlockMapBuilder(BS);
        List<Boolean> data = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += BS) {
            data.add(b.add(bytes, off, Math.min(BS, bytes.length - off)));
        }
        BlockMap scanned = BlockMap.scan(Files.write(dir.resolve("i"), bytes), BS);
        assertEquals(scanned, b.build());
        assertEquals(bytes.length, b.size());
        assertEquals(scanned.mappedBlocks(), data.stream().filter(x -> x).count());
    }

    @ParameterizedTest
    @CsvSource({"0, 0, block: 0 bytes (expected: 1..4096)", "0, 4097, block: 4097 bytes (expected: 1..4096)"})
    void refusesBlocksOfTheWrongLength(int first, int second, String message) {
        BlockMapBuilder b = new BlockMapBuilder(BS);
        byte[] a = new byte[8192];
        if (first > 0) {
            b.add(a, 0, first);
        }
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> b.add(a, 0, second)).getMessage());
    }

    @org.junit.jupiter.api.Test
    void onlyTheLastBlockMayBeShort() {
        BlockMapBuilder b = new BlockMapBuilder(BS);
        b.add(new byte[BS], 0, 10);
        assertThrows(IllegalStateException.class, () -> b.add(new byte[BS], 0, BS));
        assertThrows(IllegalArgumentException.class, () -> new BlockMapBuilder(1000));
    }

    @ParameterizedTest
    @CsvSource({
        "DDRAW, cp disk.img out",
        "DDGZ, gzip -c disk.img > out",
        "DDXZ, xz -T1 -c disk.img > out",
        "DDBZ2, bzip2 -c disk.img > out",
        "DDZST, zstd -q -c disk.img > out",
        "DDTAR, mkdir d; tar -cf out d disk.img",
        "DDTGZ, tar -cf - disk.img | gzip > out",
        "DDTXZ, tar -cf - disk.img | xz -T1 > out",
        "DDTBZ, tar -cf - disk.img | bzip2 > out",
    })
    void opensTheDiskInsideEachDiskType(ImageFiletype type, String pack) throws Exception {
        Tools.assumeInstalled("gzip", "xz", "bzip2", "zstd", "tar");
        byte[] disk = image(20, 3);
        Files.write(dir.resolve("disk.img"), disk);
        Tools.sh(dir, pack);
        try (InputStream in = DiskImageStream.open(Files.newInputStream(dir.resolve("out")), type)) {
            assertArrayEquals(disk, in.readAllBytes());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "DDGZ, 'ddgz content is not compressed: it starts with 000000000000 (expected: gzip, xz, bzip2, zstd or lz4 magic)'",
        "DDTAR, ddtar content holds no regular file (expected: a tar with the disk image)",
    })
    void refusesWhatIsNotADiskImageOfItsType(ImageFiletype type, String message) {
        InputStream zeros = new ByteArrayInputStream(new byte[10240]);
        assertEquals(message, assertThrows(DiskImageStream.NotADiskImageException.class, () -> DiskImageStream.open(zeros, type)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> DiskImageStream.open(zeros, ImageFiletype.TGZ));
    }
}
