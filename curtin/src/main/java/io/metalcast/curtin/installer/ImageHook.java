package io.metalcast.curtin.installer;

import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The custom image's own curthooks: when the installed root holds an executable {@code /curtin/curtin-hooks}, curtin runs
 * it instead of its built-in curthooks, unchrooted, without arguments, and so does this. Its environment is curtin's:
 * <ul>
 * <li>{@code TARGET_MOUNT_POINT}: the installed root filesystem, mounted (or the target directory)</li>
 * <li>{@code CONFIG}: the curtin config YAML as fetched, in the working directory</li>
 * <li>{@code WORKING_DIR}: a fresh directory, removed afterwards</li>
 * <li>{@code OUTPUT_FSTAB}, {@code OUTPUT_NETWORK_CONFIG}, {@code OUTPUT_NETWORK_STATE}, {@code OUTPUT_INTERFACES}: files in
 * the working directory; the network config holds the config's {@code network:} section when it has one, the others are
 * empty</li>
 * <li>{@code CURTIN_REPORTSTACK}: {@link #EVENT}</li>
 * </ul>
 * and one of metalcast's own: {@code TARGET_DISK}, the whole disk the image went to (a block device, or in tests a regular
 * file), so that the hook can install a bootloader; empty when the target is a directory. Its output goes to the console
 * line by line; a non-zero exit fails the install.
 */
final class ImageHook {
    /** Where the hook sits in the installed root. */
    static final String PATH = "curtin/curtin-hooks";
    /** The event curtin reports the curthooks command under, whose place the hook takes. */
    static final String EVENT = Installer.STAGE_CURTHOOKS + "/builtin/cmd-curthooks";
    static final int TAIL_LINES = 8;

    private final String configYaml;
    private final Duration timeout;
    private final Consumer<String> log;

    ImageHook(String configYaml, Duration timeout, Consumer<String> log) {
        this.configYaml = configYaml;
        this.timeout = timeout;
        this.log = log;
    }

    /** The hook of the root at {@code root}, if it has one that can run. */
    static boolean present(Path root) {
        Path hook = root.resolve(PATH);
        return Files.isRegularFile(hook) && Files.isExecutable(hook);
    }

    /**
     * Runs the hook of {@code root} (see {@link #present}); {@code targetDisk} is the whole disk, or null for a directory
     * target. Returns a one-line summary; throws an {@link InstallException} of kind {@link Kind#HOOK} for a non-zero exit, naming the exit code and
     * the last lines of output.
     */
    String run(Path root, Path targetDisk) throws InstallException {
        Path hook = root.resolve(PATH).toAbsolutePath();
        Path work;
        try {
            work = Files.createTempDirectory("metalcast-curtin-hooks-");
        } catch (IOException e) {
            throw new InstallException(Kind.CURTHOOKS, "creating a working directory for " + hook + ": " + e.getMessage(), e);
        }
        try {
            Map<String, String> env = environment(root, targetDisk, work);
            log.accept("running /" + PATH + " (TARGET_MOUNT_POINT=" + env.get("TARGET_MOUNT_POINT") + ", TARGET_DISK="
                    + env.get("TARGET_DISK") + ")");
            ProcessBuilder pb = new ProcessBuilder(List.of(hook.toString())).directory(work.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            long start = System.nanoTime();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new InstallException(Kind.HOOK, "/" + PATH + " cannot run: " + e.getMessage());
            }
            Deque<String> tail = new ArrayDeque<>();
            Thread reader = new Thread(() -> copy(p, tail), "curtin-hooks-output");
            reader.setDaemon(true);
            reader.start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new InstallException(Kind.HOOK, "/" + PATH + " did not finish within " + timeout.toSeconds() + " s" + lastLines(tail));
                }
                reader.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new InstallException(Kind.HOOK, "/" + PATH + " interrupted");
            }
            int rc = p.exitValue();
            if (rc != 0) {
                throw new InstallException(Kind.HOOK, "/" + PATH + " exited " + rc + lastLines(tail));
            }
            return "/" + PATH + " exited 0 after " + Units.seconds(System.nanoTime() - start);
        } finally {
            try {
                deleteTree(work);
            } catch (IOException e) {
                log.accept("warning: removing " + work + ": " + e.getMessage());
            }
        }
    }

    private Map<String, String> environment(Path root, Path targetDisk, Path work) throws InstallException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TARGET_MOUNT_POINT", root.toAbsolutePath().toString());
        env.put("TARGET_DISK", targetDisk == null ? "" : targetDisk.toAbsolutePath().toString());
        env.put("WORKING_DIR", work.toString());
        env.put("CURTIN_REPORTSTACK", EVENT);
        Map<String, String> files = new LinkedHashMap<>();
        files.put("CONFIG", configYaml);
        files.put("OUTPUT_FSTAB", "");
        files.put("OUTPUT_NETWORK_CONFIG", networkConfig(configYaml));
        files.put("OUTPUT_NETWORK_STATE", "");
        files.put("OUTPUT_INTERFACES", "");
        Map<String, String> names = Map.of("CONFIG", "config.yaml", "OUTPUT_FSTAB", "fstab", "OUTPUT_NETWORK_CONFIG",
                "network_config", "OUTPUT_NETWORK_STATE", "network_state", "OUTPUT_INTERFACES", "interfaces");
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path file = work.resolve(names.get(f.getKey()));
            try {
                Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InstallException(Kind.CURTHOOKS, "writing " + file + ": " + e.getMessage(), e);
            }
            env.put(f.getKey(), file.toString());
        }
        return env;
    }

    /** The config's {@code network:} section as YAML ({@code network: ...}), or empty when it has none. */
    static String networkConfig(String configYaml) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(configYaml);
        } catch (RuntimeException e) {
            return "";
        }
        if (!(root instanceof Map<?, ?> map) || !(map.get("network") instanceof Map<?, ?> network)) {
            return "";
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(Map.of("network", network));
    }

    private void copy(Process p, Deque<String> tail) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.accept("curtin-hooks: " + line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            log.accept("warning: reading the output of /" + PATH + ": " + e.getMessage());
        }
    }

    private static String lastLines(Deque<String> tail) {
        synchronized (tail) {
            return tail.isEmpty() ? " (no output)" : "; last lines: " + String.join(" | ", tail);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
