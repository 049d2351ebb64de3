package io.metalcast.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stream bench end to end on a small image: both sides run, the table and the ratio line come out. */
class StreamBenchIT {
    @Test
    void aSmallRunEndsWithTheRatioLine() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")) && Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4"))
                && Files.isExecutable(Path.of("/usr/bin/zstd")), "needs curl, mkfs.ext4, zstd");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = StreamBench.run(List.of("--size-mib", "256", "--runs", "1"), io.metalcast.testbed.Main.cacheDir());
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        old.print(text);
        assertEquals(0, code, text);
        List<String> lines = text.lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("ratio_gz=[0-9]+\\.[0-9]{2} ratio_raw=[0-9]+\\.[0-9]{2} "
                + "ratio_zst_vs_curtin_gz=[0-9]+\\.[0-9]{2} ratio_raw_bmap=[0-9]+\\.[0-9]{2}"), lines.get(lines.size() - 1));
        assertTrue(text.contains("sha256 ok"), text);
        assertTrue(text.contains("sha256 ok for each of the "), "the raw image also goes by its block map: " + text);
    }
}
