package io.metalcast.testbed.build;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The bash scripts shipped as classpath resources next to this class, extracted into a temporary directory and run one
 * step at a time. Scripts log to stderr (copied to System.out with the step name) and print results on stdout.
 */
final class BuildScripts implements AutoCloseable {
    /** Every resource the scripts use; all of them go into the cache key. */
    static final List<String> RESOURCES = List.of(
            "common.sh", "kernel-package.sh", "kernel.sh", "initramfs.sh", "rootfs.sh", "sample-image.sh", "sample-tarball.sh",
            "initramfs/init", "initramfs/functions", "initramfs/udhcpc.script", "initramfs/rooturl",
            "initramfs/overlayroot", "initramfs/copymods", "rootfs/init", "sample/initramfs-init", "sample/init",
            "sample/cloud-init", "sample/netplan", "sample/curtin-hooks");

    private static final int TAIL_LINES = 40;

    private final Path dir;

    private BuildScripts(Path dir) {
        this.dir = dir;
    }

    static BuildScripts extract() throws IOException {
        Path dir = Files.createTempDirectory("metalcast-build-scripts");
        for (String name : RESOURCES) {
            Path target = dir.resolve(name);
            Files.createDirectories(target.getParent());
            Files.write(target, resource(name));
        }
        return new BuildScripts(dir);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = BuildScripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource: " + name + " missing (expected: next to " + BuildScripts.class.getName() + ")");
            }
            return in.readAllBytes();
        }
    }

    /** The directory holding the extracted scripts (passed to scripts that install the shipped init files). */
    Path dir() {
        return dir;
    }

    /** Runs {@code bash <script> args...}; returns its stdout; logs the step and its duration. */
    String run(String step, String script, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(dir.resolve(script).toString());
        command.addAll(args);
        long start = System.nanoTime();
        log("step " + step + ": start");
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Deque<String> tail = new ArrayDeque<>();
        Thread errors = new Thread(() -> copyLines(process.getErrorStream(), step, tail), "build-" + step + "-stderr");
        errors.setDaemon(true);
        errors.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            process.getInputStream().transferTo(out);
            int rc = process.waitFor();
            errors.join(TimeUnit.SECONDS.toMillis(10));
            if (rc != 0) {
                String lines;
                synchronized (tail) {
                    lines = String.join("\n", tail);
                }
                log("step " + step + ": FAILED (exit " + rc + ") after " + seconds(start));
                throw new BuildFailedException(step, rc, lines);
            }
        } finally {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
        log("step " + step + ": done in " + seconds(start));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void copyLines(InputStream in, String step, Deque<String> tail) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                System.out.println("[build " + step + "] " + line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void log(String message) {
        System.out.println("[build] " + message);
    }

    static String seconds(long startNanos) {
        Duration d = Duration.ofNanos(System.nanoTime() - startNanos);
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    @Override
    public void close() throws IOException {
        BuildCache.deleteRecursively(dir);
    }
}
