package io.metalcast.testbed.build;

import io.metalcast.curtin.image.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;

/**
 * Build-once directories under a cache directory: {@code <cacheDir>/<name>-<key>/} is complete when its {@code done}
 * stamp exists. A build runs in {@code .<name>-<key>.tmp} under a file lock (so concurrent JVMs and a crashed earlier
 * run do no harm) and is renamed into place at the end.
 */
final class BuildCache {
    static final String DONE = "done";

    /** Fills a fresh directory with the outputs. */
    interface Build {
        void into(Path dir) throws IOException, InterruptedException;
    }

    private BuildCache() {
    }

    /** Returns the complete directory for {@code name-key}, building it first if needed. */
    static Path buildOnce(Path cacheDir, String name, String key, Build build) throws IOException, InterruptedException {
        Path done = cacheDir.resolve(name + "-" + key);
        if (Files.exists(done.resolve(DONE))) {
            BuildScripts.log(name + ": cached at " + done);
            return done;
        }
        Files.createDirectories(cacheDir);
        // One JVM may hold a FileChannel lock only once: serialise threads here, processes with the file lock.
        synchronized (BuildCache.class) {
            try (FileChannel channel = FileChannel.open(cacheDir.resolve("." + name + "-" + key + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                if (Files.exists(done.resolve(DONE))) {
                    BuildScripts.log(name + ": cached at " + done + " (built meanwhile)");
                    return done;
                }
                Path tmp = cacheDir.resolve("." + name + "-" + key + ".tmp");
                deleteRecursively(tmp);
                Files.createDirectories(tmp);
                long start = System.nanoTime();
                BuildScripts.log(name + ": building into " + tmp);
                try {
                    build.into(tmp);
                } catch (IOException | InterruptedException | RuntimeException | Error e) {
                    deleteRecursively(tmp);
                    throw e;
                }
                Files.writeString(tmp.resolve(DONE), "complete\n", StandardCharsets.UTF_8);
                deleteRecursively(done);
                Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
                BuildScripts.log(name + ": built in " + BuildScripts.seconds(start) + " at " + done);
                return done;
            }
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Incremental SHA-256 over labelled parts, used for cache keys and image checksums. */
    static final class Hasher {
        private final MessageDigest digest;

        Hasher() {
            digest = Sha256.digest();
        }

        Hasher text(String label, String value) {
            update(label);
            update(value);
            return this;
        }

        Hasher bytes(String label, byte[] value) {
            update(label);
            digest.update(Long.toString(value.length).getBytes(StandardCharsets.UTF_8));
            digest.update(value);
            return this;
        }

        Hasher file(String label, Path file) throws IOException {
            update(label);
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, n);
                }
            }
            return this;
        }

        private void update(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            digest.update(Integer.toString(b.length).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) ':');
            digest.update(b);
        }

        String hex() {
            return Sha256.hex(digest.digest());
        }

        /** The first 16 hex digits, enough to name a cache directory. */
        String shortHex() {
            return hex().substring(0, 16);
        }
    }
}
