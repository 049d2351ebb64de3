package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PartitionTableTest {
    @TempDir
    Path dir;

    /** Tables written by the real sfdisk, read back. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "dos|start=2048, size=4096, type=83;start=8192, type=c|dos|1:1048576:2097152:83,2:4194304:16777216:0c",
            "gpt|start=2048, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4|gpt|1:1048576:2097152:0fc63daf-8483-4772-8e79-3d69d8477de4"})
    void readsWhatSfdiskWrote(String label, String lines, String scheme, String expected) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/sfdisk")) || Files.isExecutable(Path.of("/sbin/sfdisk")), "needs sfdisk");
        Path img = dir.resolve("disk.img");
        try (FileChannel ch = FileChannel.open(img, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(1), (20L << 20) - 1);
        }
        Process p = new ProcessBuilder("sfdisk", "-q", img.toString()).redirectErrorStream(true).start();
        p.getOutputStream().write(("label: " + label + "\n" + lines.replace(';', '\n') + "\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        PartitionTable table;
        try (FileChannel ch = FileChannel.open(img)) {
            table = PartitionTable.read(ch);
        }
        assertEquals(scheme, table.scheme());
        List<String> got = table.partitions().stream().map(x -> x.number() + ":" + x.offset() + ":" + x.length() + ":" + x.type()).toList();
        assertEquals(List.of(expected.split(",")), got);
    }

    @Test
    void aDiskWithoutTableHasNone() throws Exception {
        Path img = Files.write(dir.resolve("blank"), new byte[4096]);
        try (FileChannel ch = FileChannel.open(img)) {
            assertEquals(new PartitionTable("none", List.of()), PartitionTable.read(ch));
        }
    }
}
