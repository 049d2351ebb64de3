package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.image.PartitionTable;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Configures the written image: finds its root filesystem (curtin's rule: the first partition holding {@code /curtin}),
 * mounts it and writes {@code write_files} into it. Partitions are taken from sysfs after a partition-table re-read; when
 * the kernel shows none (no partition support, or a plain file) they are reached through loop devices at the offsets the
 * MBR/GPT names. Everything mounted or attached here is undone on every path.
 */
final class Curthooks {
    /** What curthooks did: {@code result} is SUCCESS or WARN. */
    record Outcome(String result, String description) {
    }

    /**
     * What runs in the installed root once {@code write_files} are in it, while it is still mounted: the image's own hook.
     * Returns a summary of what it did, or null when it did nothing.
     */
    interface RootStep {
        String run(Path root, Path targetDisk) throws InstallException;
    }

    private static final Duration NODE_WAIT = Duration.ofSeconds(3);
    private final Commands commands;
    private final Path sysRoot;
    private final Path mountRoot;
    private final Consumer<String> log;

    Curthooks(Commands commands, Path sysRoot, Path mountRoot, Consumer<String> log) {
        this.commands = commands;
        this.sysRoot = sysRoot;
        this.mountRoot = mountRoot;
        this.log = log;
    }

    Outcome run(TargetDisk target, Map<String, WriteFile> files, boolean attachLoop, RootStep step) throws InstallException {
        Deque<String> loops = new ArrayDeque<>();
        try {
            Path device = target.path();
            if (!target.blockDevice()) {
                if (!attachLoop) {
                    if (files.isEmpty()) {
                        return new Outcome("WARN", "target " + target.path() + " is a regular file and loop devices are not used"
                                + " (not root): root filesystem not checked");
                    }
                    throw new InstallException(Kind.CURTHOOKS, "target " + target.path() + " is a regular file and loop devices are"
                            + " not used (not root): cannot write " + files.size() + " write_files entr" + (files.size() == 1 ? "y" : "ies"));
                }
                device = Path.of(attach(target.path().toAbsolutePath(), 0, true));
                loops.push(device.toString());
                log.accept("attached " + target.path() + " to " + device);
            }
            List<Path> candidates = partitions(device, loops);
            List<String> tried = new ArrayList<>();
            for (Path partition : candidates) {
                if (!mount(partition, tried)) {
                    continue;
                }
                try {
                    if (!Files.isDirectory(mountRoot.resolve("curtin"))) {
                        tried.add(partition.getFileName() + " (no /curtin)");
                        continue;
                    }
                    log.accept("root filesystem " + partition + " (holds /curtin)");
                    for (WriteFile f : files.values()) {
                        write(mountRoot, f);
                        log.accept("wrote " + f.path() + " (" + f.permissions() + ")");
                    }
                    sync();
                    String stepped = step.run(mountRoot, target.path());
                    if (stepped != null) {
                        sync();
                    }
                    return new Outcome("SUCCESS", "root filesystem on " + partition + ", wrote " + files.size() + " file(s)"
                            + (stepped == null ? "" : "; " + stepped));
                } finally {
                    unmount();
                }
            }
            throw new InstallException(Kind.CURTHOOKS, "no partition of " + target.path() + " holds /curtin: "
                    + (tried.isEmpty() ? "no partitions found" : String.join(", ", tried)));
        } finally {
            while (!loops.isEmpty()) {
                detach(loops.pop());
            }
        }
    }

    /** The partition devices of {@code device}: the kernel's after a re-read, else loop devices at the table's offsets. */
    private List<Path> partitions(Path device, Deque<String> loops) throws InstallException {
        try {
            commands.run(List.of("blockdev", "--rereadpt", device.toString()));
        } catch (Commands.CommandException e) {
            log.accept(e.notStarted() ? "blockdev not available, partition table not re-read" : "warning: " + e.getMessage());
        }
        String name = device.getFileName().toString();
        List<Path> kernel = kernelPartitions(name);
        if (!kernel.isEmpty()) {
            return kernel;
        }
        PartitionTable table;
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            table = PartitionTable.read(ch);
        } catch (IOException e) {
            throw new InstallException(Kind.CURTHOOKS, "reading the partition table of " + device + ": " + e.getMessage(), e);
        }
        if (table.partitions().isEmpty()) {
            log.accept(device + " has no partition table: trying the whole device");
            return List.of(device);
        }
        log.accept("kernel shows no partitions of " + device + ": reaching " + table.partitions().size() + " " + table.scheme()
                + " partition(s) through loop devices");
        List<Path> out = new ArrayList<>();
        for (PartitionTable.Partition p : table.partitions()) {
            try {
                String loop = attach(device, p.offset(), false);
                loops.push(loop);
                out.add(Path.of(loop));
            } catch (InstallException e) {
                log.accept("partition " + p.number() + " of " + device + ": " + e.getMessage());
            }
        }
        return out;
    }

    private List<Path> kernelPartitions(String name) {
        Pattern part = Pattern.compile(Pattern.quote(name) + "p?(\\d+)");
        Path dir = sysRoot.resolve("block").resolve(name);
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            entries.map(p -> p.getFileName().toString())
                    .map(part::matcher)
                    .filter(Matcher::matches)
                    .sorted(Comparator.comparingInt(m -> Integer.parseInt(m.group(1))))
                    .forEach(m -> out.add(Path.of("/dev", m.group())));
        } catch (IOException e) {
            log.accept("warning: listing " + dir + ": " + e.getMessage());
        }
        long deadline = System.nanoTime() + NODE_WAIT.toNanos();
        for (Path node : out) {
            while (!Files.exists(node) && System.nanoTime() < deadline) {
                sleep(50);
            }
        }
        return out;
    }

    private boolean mount(Path partition, List<String> tried) throws InstallException {
        try {
            Files.createDirectories(mountRoot);
        } catch (IOException e) {
            throw new InstallException(Kind.CURTHOOKS, "creating mount point " + mountRoot + ": " + e.getMessage(), e);
        }
        try {
            commands.run(List.of("mount", partition.toString(), mountRoot.toString()));
            return true;
        } catch (Commands.CommandException e) {
            String why = (e.output().isEmpty() ? e.getMessage() : e.output()).replaceAll("\\s+", " ");
            tried.add(partition.getFileName() + " (mount: " + why + ")");
            return false;
        }
    }

    private void unmount() {
        try {
            commands.run(List.of("umount", mountRoot.toString()));
        } catch (Commands.CommandException e) {
            log.accept("warning: " + e.getMessage());
        }
    }

    private void sync() {
        try {
            commands.run(List.of("sync"));
        } catch (Commands.CommandException e) {
            log.accept("warning: " + e.getMessage());
        }
    }

    /** Attaches {@code backing} from {@code offset} to a free loop device; works with util-linux and busybox losetup. */
    private String attach(Path backing, long offset, boolean partscan) throws InstallException {
        Commands.CommandException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                String loop = commands.run(List.of("losetup", "-f"));
                List<String> cmd = new ArrayList<>(List.of("losetup"));
                if (partscan) {
                    cmd.add("-P");
                }
                if (offset > 0) {
                    cmd.addAll(List.of("-o", Long.toString(offset)));
                }
                cmd.addAll(List.of(loop, backing.toString()));
                commands.run(cmd);
                return loop;
            } catch (Commands.CommandException e) {
                last = e;
                sleep(100L * (attempt + 1));
            }
        }
        throw new InstallException(Kind.CURTHOOKS, "no loop device for " + backing + ": " + last.getMessage(), last);
    }

    private void detach(String loop) {
        try {
            commands.run(List.of("losetup", "-d", loop));
        } catch (Commands.CommandException e) {
            log.accept("warning: " + e.getMessage());
        }
    }

    /**
     * For a root tarball, whose filesystem is already at {@code root} (mounted or a directory): writes {@code write_files}
     * into it, then runs {@code step} ({@code targetDisk}: the whole disk, null for a directory target). Without a step
     * that does something, nothing makes the disk bootable: WARN.
     */
    Outcome writeInto(Path root, Path targetDisk, Map<String, WriteFile> files, RootStep step) throws InstallException {
        for (WriteFile f : files.values()) {
            write(root, f);
            log.accept("wrote " + f.path() + " (" + f.permissions() + ")");
        }
        sync();
        String stepped = step.run(root, targetDisk);
        if (stepped != null) {
            sync();
            return new Outcome("SUCCESS", "root filesystem at " + root + ", wrote " + files.size() + " file(s); " + stepped);
        }
        return new Outcome("WARN", "root filesystem at " + root + ", wrote " + files.size() + " file(s); no bootloader installed"
                + " (the image has no /curtin/curtin-hooks to install one)");
    }

    private void write(Path rootDir, WriteFile f) throws InstallException {
        Path root = rootDir.toAbsolutePath().normalize();
        Path dest = root.resolve(f.path().substring(1)).normalize();
        if (!dest.startsWith(root) || dest.equals(root)) {
            throw new InstallException(Kind.CURTHOOKS, "write_files path '" + f.path() + "' (expected: a file inside the target)");
        }
        Set<PosixFilePermission> mode = permissions(f.permissions());
        try {
            Files.createDirectories(dest.getParent());
            try (FileChannel ch = FileChannel.open(dest, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer data = ByteBuffer.wrap(f.content().getBytes(StandardCharsets.UTF_8));
                while (data.hasRemaining()) {
                    ch.write(data);
                }
                ch.force(true);
            }
            Files.setPosixFilePermissions(dest, mode);
        } catch (IOException e) {
            throw new InstallException(Kind.CURTHOOKS, "writing " + f.path() + " into the target: " + e.getMessage(), e);
        }
    }

    /** {@code 0644}, {@code 644} or {@code 0o644} to permission bits (setuid/setgid/sticky are not supported). */
    static Set<PosixFilePermission> permissions(String octal) throws InstallException {
        String digits = octal.startsWith("0o") ? octal.substring(2) : octal;
        int mode;
        try {
            mode = Integer.parseInt(digits, 8);
        } catch (NumberFormatException e) {
            mode = -1;
        }
        if (mode < 0 || mode > 0777) {
            throw new InstallException(Kind.CURTHOOKS, "write_files permissions: '" + octal + "' (expected: octal 0000..0777)");
        }
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << (8 - i))) != 0) {
                out.add(bits[i]);
            }
        }
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
