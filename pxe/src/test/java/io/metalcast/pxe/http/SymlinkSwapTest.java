package io.metalcast.pxe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.pxe.net.BootFiles;
import io.metalcast.pxe.net.DirectoryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H8: symlinks out of the published directory are refused even when they appear between the check and the open, and
 * a directory component that points outside is never followed.
 */
class SymlinkSwapTest {
    static final String SECRET = "SECRET-OUTSIDE";

    @TempDir
    Path dir;

    Path root;
    Path outside;

    void tree() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("real.bin"), SECRET);
        Files.writeString(outside.resolve("secret"), SECRET);
    }

    /** A directory symlink in the middle of the target of an inside symlink, pointing outside: refused. */
    @Test
    void symlinkedDirectoryInsideTheTargetIsChecked() throws Exception {
        tree();
        Files.createSymbolicLink(root.resolve("sub"), outside);
        Path link = Files.createSymbolicLink(root.resolve("link.bin"), Path.of("sub/real.bin"));
        assertThrows(BootFiles.SymlinkEscapeException.class, () -> BootFiles.open(link));
    }

    /** A file swapped (by rename) between a regular file and a symlink to outside, served thousands of times. */
    @Test
    void swappedFileNeverServesOutside() throws Exception {
        tree();
        Path inside = Files.writeString(root.resolve("inside.tmp"), "inside\n");
        Files.copy(inside, root.resolve("race.bin"));
        Map<Integer, Integer> statuses = hammer("/race.bin", () -> {
            Path file = Files.writeString(root.resolve("file.tmp"), "inside\n");
            Files.move(file, root.resolve("race.bin"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path link = Files.createSymbolicLink(root.resolve("link.tmp"), outside.resolve("secret"));
            Files.move(link, root.resolve("race.bin"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
        assertTrue(Set.of(200, 403).containsAll(statuses.keySet()), statuses.toString());
        assertTrue(statuses.containsKey(200) && statuses.containsKey(403), "both states not seen: " + statuses);
    }

    /**
     * The target of an inside symlink has a directory component swapped between a real directory and a symlink to
     * outside: the check sees it inside, the open must not follow the swapped-in link.
     */
    @Test
    void swappedDirectoryNeverServesOutside() throws Exception {
        tree();
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/real.bin"), "inside\n");
        Files.createSymbolicLink(root.resolve("link.bin"), Path.of("sub/real.bin"));
        Map<Integer, Integer> statuses = hammer("/link.bin", () -> {
            Files.move(root.resolve("sub"), root.resolve("sub.off"), StandardCopyOption.ATOMIC_MOVE);
            Files.createSymbolicLink(root.resolve("sub"), outside);
            Thread.sleep(1);
            Files.delete(root.resolve("sub"));
            Files.move(root.resolve("sub.off"), root.resolve("sub"), StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(1);
        });
        assertTrue(Set.of(200, 403, 404).containsAll(statuses.keySet()), statuses.toString());
        assertTrue(statuses.containsKey(200) && statuses.containsKey(403), "both states not seen: " + statuses);
    }

    interface Swap {
        void run() throws Exception;
    }

    /** Requests {@code path} over one keep-alive connection for 1.5 s while {@code swap} runs in a loop. */
    Map<Integer, Integer> hammer(String path, Swap swap) throws Exception {
        ExecutorService blocking = Executors.newFixedThreadPool(2);
        AtomicBoolean stop = new AtomicBoolean();
        Map<Integer, Integer> statuses = new TreeMap<>();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    swap.run();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "swapper");
        try (HttpBootServer server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DirectoryPolicy(root), blocking, new SimpleMeterRegistry());) {
            server.start();
            swapper.start();
            long end = System.nanoTime() + 1_500_000_000L;
            try (RawHttp c = new RawHttp(server.localAddress())) {
                while (System.nanoTime() < end) {
                    RawHttp.Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: b\r\n\r\n").read(false);
                    statuses.merge(r.status(), 1, Integer::sum);
                    String body = new String(r.body(), StandardCharsets.ISO_8859_1);
                    assertFalse(body.contains(SECRET), "served a file outside the root");
                    if (r.status() == 200) {
                        assertEquals("inside\n", body);
                    }
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
            blocking.shutdownNow();
        }
        return statuses;
    }
}
