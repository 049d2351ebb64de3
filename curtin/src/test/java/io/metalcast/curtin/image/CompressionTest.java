package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each compression made by the real command-line tool is recognised and decoded back to the original bytes. */
class CompressionTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "NONE, cat",
        "GZIP, gzip -c",
        "XZ, xz -c -T1",
        "BZIP2, bzip2 -c",
        "ZSTD, zstd -q -c",
    })
    void detectsAndDecodesWhatTheRealToolWrote(Compression expected, String tool) throws Exception {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        for (int i = 0; i < data.length; i += 3) {
            data[i] = 0; // compressible
        }
        Path raw = Files.write(dir.resolve("raw"), data);
        Path packed = dir.resolve("packed");
        Process p = new ProcessBuilder("sh", "-c", tool + " < '" + raw + "' > '" + packed + "'").inheritIO().start();
        assertEquals(0, p.waitFor(), tool);
        byte[] head = new byte[Compression.MAGIC_BYTES];
        int n;
        try (InputStream in = Files.newInputStream(packed)) {
            n = in.readNBytes(head, 0, head.length);
        }
        assertEquals(expected, Compression.detect(head, n));
        try (InputStream in = expected.decode(Files.newInputStream(packed))) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }
}
