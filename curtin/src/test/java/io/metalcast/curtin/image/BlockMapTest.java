package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlockMapTest {
    private static final int BS = 4096;

    @TempDir
    Path dir;

    /** 300 blocks and 100 bytes, every byte written (no holes): data in blocks 0, 10-12, 200 and the partial last block. */
    private Path image() throws IOException {
        Path p = dir.resolve("disk.raw");
        byte[] all = new byte[300 * BS + 100];
        Random r = new Random(7);
        fill(r, all, 0, BS);
        fill(r, all, 10 * BS, 2 * BS);
        all[12 * BS + 4095] = 1; // one byte makes block 12 mapped
        fill(r, all, 200 * BS + 17, 10);
        all[300 * BS + 99] = 5;
        Files.write(p, all);
        return p;
    }

    private static void fill(Random r, byte[] a, int off, int len) {
        for (int i = off; i < off + len; i++) {
            a[i] = (byte) (r.nextInt(255) + 1);
        }
    }

    @Test
    void mapsBlocksHoldingDataByContent() throws Exception {
        Path image = image();
        BlockMap map = BlockMap.scan(image, BS);
        byte[] bytes = Files.readAllBytes(image);
        assertEquals(bytes.length, map.imageSize());
        assertEquals(301, map.blocksCount());
        assertEquals(List.of(0L, 10L, 200L, 300L), map.ranges().stream().map(BlockMap.Range::first).toList());
        assertEquals(List.of(0L, 12L, 200L, 300L), map.ranges().stream().map(BlockMap.Range::last).toList());
        assertEquals(6, map.mappedBlocks());
        assertEquals(5L * BS + 100, map.mappedBytes(), "the last block counts only up to the image's end");
        for (BlockMap.Range r : map.ranges()) {
            byte[] part = Arrays.copyOfRange(bytes, (int) map.start(r), (int) map.end(r));
            assertEquals(Sha256.of(part), r.sha256(), "range " + r.first() + "-" + r.last());
        }
        assertEquals(map, BlockMap.parse(map.render()));
    }

    @Test
    void mapsAnAllZeroImageAsEmptyAndAnEmptyFile() throws Exception {
        Path zeros = dir.resolve("zeros");
        Files.write(zeros, new byte[10 * BS]);
        assertEquals(new BlockMap(10 * BS, BS, List.of()), BlockMap.scan(zeros, BS));
        Path empty = Files.createFile(dir.resolve("empty"));
        BlockMap none = BlockMap.scan(empty, BS);
        assertEquals(0, none.blocksCount());
        assertEquals(none, BlockMap.parse(none.render()));
    }

    /** bmaptool (bmap-tools) copies an image with our map, checking every range's sha256 and our file checksum. */
    @Test
    void bmaptoolCopiesWithOurMap() throws Exception {
        Tools.assumeInstalled("bmaptool");
        Path image = image();
        Files.write(dir.resolve("disk.bmap"), BlockMap.scan(image, BS).render());
        Tools.sh(dir, "truncate -s 2M dest && bmaptool copy --bmap disk.bmap disk.raw dest");
        byte[] dest = Files.readAllBytes(dir.resolve("dest"));
        assertArrayEquals(Files.readAllBytes(image), Arrays.copyOf(dest, (int) Files.size(image)));

        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(11 * BS);
            f.write(0x42);
        }
        Process p = new ProcessBuilder("bmaptool", "copy", "--bmap", "disk.bmap", "disk.raw", "dest2").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor() != 0 && out.toLowerCase().contains("checksum"), "bmaptool must refuse a damaged range: " + out);
    }

    /** A map bmaptool made (from a sparse file's holes) reads back with the same ranges and checksums as our own scan. */
    @Test
    void readsBmaptoolsMaps() throws Exception {
        Tools.assumeInstalled("bmaptool");
        Tools.sh(dir, "truncate -s 8M sparse.raw"
                + " && head -c 12288 /dev/urandom | dd of=sparse.raw bs=4096 seek=3 conv=notrunc status=none"
                + " && head -c 4096 /dev/urandom | dd of=sparse.raw bs=4096 seek=1000 conv=notrunc status=none"
                + " && bmaptool create -o sparse.bmap sparse.raw");
        BlockMap theirs = BlockMap.parse(Files.readAllBytes(dir.resolve("sparse.bmap")));
        assertEquals(BlockMap.scan(dir.resolve("sparse.raw"), BS), theirs);
    }

    @Test
    void refusesADamagedMap() throws Exception {
        String xml = new String(BlockMap.scan(image(), BS).render(), StandardCharsets.UTF_8);
        String damaged = xml.replaceFirst("> 10-12 <", "> 10-13 <");
        IOException e = assertThrows(IOException.class, () -> BlockMap.parse(damaged.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("the map is damaged"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<!DOCTYPE bmap [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><bmap version=\"2.0\">&x;</bmap>",
        "<bmap version=\"1.4\"/>",
        "<map version=\"2.0\"/>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>2</BlocksCount>"
                + "<MappedBlocksCount>1</MappedBlocksCount><ChecksumType>md5</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap/></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>3</BlocksCount>"
                + "<MappedBlocksCount>0</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap/></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>2</BlocksCount>"
                + "<MappedBlocksCount>5</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap><Range chksum=\"" + "a" + "\">0</Range></BlockMap></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>2</BlocksCount>"
                + "<MappedBlocksCount>3</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap><Range chksum=\"RS\">0-1</Range><Range chksum=\"RS\">1</Range></BlockMap></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>2</BlocksCount>"
                + "<MappedBlocksCount>1</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap><Range chksum=\"RS\">2</Range></BlockMap></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>3000</BlockSize><BlocksCount>3</BlocksCount>"
                + "<MappedBlocksCount>0</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap/></bmap>",
        "<bmap version=\"2.0\"><ImageSize>-1</ImageSize><BlockSize>4096</BlockSize><BlocksCount>0</BlocksCount>"
                + "<MappedBlocksCount>0</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap/></bmap>",
        "<bmap version=\"2.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize><BlocksCount>2</BlocksCount>"
                + "<MappedBlocksCount>1</MappedBlocksCount><ChecksumType>sha256</ChecksumType><BmapFileChecksum>SUM</BmapFileChecksum>"
                + "<BlockMap><Range chksum=\"RS\">1-0</Range></BlockMap></bmap>",
        "not xml at all",
    })
    void refusesMalformedMapsEvenWhenTheirFileChecksumHolds(String xml) {
        byte[] signed = sign(xml.replace("\"RS\"", "\"" + "c".repeat(64) + "\""));
        IOException e = assertThrows(IOException.class, () -> BlockMap.parse(signed));
        assertTrue(e.getMessage().startsWith("bmap: "), e.getMessage());
    }

    @Test
    void refusesAnOversizedMapUnread() {
        IOException e = assertThrows(IOException.class, () -> BlockMap.parse(new byte[BlockMap.MAX_FILE_BYTES + 1]));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());
    }

    /** Fills in the file checksum as bmaptool computes it (over the file with the checksum zeroed). */
    private static byte[] sign(String xml) {
        String zeroed = xml.replace("SUM", "0".repeat(64));
        return zeroed.replace("0".repeat(64), Sha256.of(zeroed.getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
    }
}
