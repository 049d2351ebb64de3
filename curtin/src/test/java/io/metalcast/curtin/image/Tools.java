package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the real tools tests build their inputs with. */
final class Tools {
    private Tools() {
    }

    static void assumeInstalled(String... tools) {
        for (String t : tools) {
            boolean found = false;
            for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
                found |= Files.isExecutable(Path.of(dir, t));
            }
            assumeTrue(found, "needs " + t);
        }
    }

    /** Runs {@code script} with sh in {@code dir}; fails the test on a non-zero exit. */
    static void sh(Path dir, String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-ec", script).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), script + "\n" + out);
    }
}
