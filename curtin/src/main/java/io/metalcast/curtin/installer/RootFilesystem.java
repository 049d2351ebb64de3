package io.metalcast.curtin.installer;

import io.metalcast.curtin.image.PartitionTable;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The simple layout a root tarball is unpacked into: one partition table (MBR, GPT beyond 2 TiB) with one Linux partition
 * from 1 MiB to the end of the disk, an ext4 filesystem on it, mounted at the mount root. Needs {@code sfdisk} and
 * {@code mkfs.ext4} (util-linux, e2fsprogs: busybox has neither). The partition is the kernel's after a re-read, else a loop
 * device at its offset. {@link #close} unmounts and detaches everything, on every path.
 */
final class RootFilesystem implements AutoCloseable {
    static final long START = 1L << 20;
    private static final long MBR_LIMIT = 2L << 40;
    private static final Duration NODE_WAIT = Duration.ofSeconds(3);
    private final Commands commands;
    private final Path sysRoot;
    private final Path mountRoot;
    private final Consumer<String> log;
    private final Deque<String> loops = new ArrayDeque<>();
    private boolean mounted;

    RootFilesystem(Commands commands, Path sysRoot, Path mountRoot, Consumer<String> log) {
        this.commands = commands;
        this.sysRoot = sysRoot;
        this.mountRoot = mountRoot;
        this.log = log;
    }

    /** Partitions {@code target}, makes the filesystem and mounts it; returns what was done, in words. */
    String create(TargetDisk target, boolean attachLoop) throws InstallException {
        if (!target.blockDevice() && !attachLoop) {
            throw new InstallException(Kind.TARGET, "target " + target.path() + " is a regular file and loop devices are not used (not root):"
                    + " cannot make a filesystem for a root tarball (give a directory as target to unpack into it)");
        }
        if (target.size() < 2 * START + (16L << 20)) {
            throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                    + " bytes (expected: at least 18 MiB for a root filesystem)");
        }
        boolean gpt = target.size() > MBR_LIMIT;
        String layout = gpt ? "label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" : "label: dos\nstart=2048, type=83\n";
        run(List.of("sfdisk", "--quiet", "--wipe", "always", target.path().toString()), layout, "partitioning " + target.path());
        PartitionTable.Partition part;
        try (FileChannel ch = FileChannel.open(target.path(), StandardOpenOption.READ)) {
            part = PartitionTable.read(ch).partitions().get(0);
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new InstallException(Kind.TARGET, "reading back the partition table of " + target.path() + ": " + e.getMessage(), e);
        }
        Path device = partitionDevice(target, part);
        run(List.of("mkfs.ext4", "-F", "-q", "-L", "cloudimg-rootfs", device.toString(), (part.length() / 1024) + "k"), null,
                "making ext4 on " + device);
        try {
            Files.createDirectories(mountRoot);
        } catch (IOException e) {
            throw new InstallException(Kind.TARGET, "creating mount point " + mountRoot + ": " + e.getMessage(), e);
        }
        run(List.of("mount", device.toString(), mountRoot.toString()), null, "mounting " + device);
        mounted = true;
        return (gpt ? "GPT" : "MBR") + ", partition 1 at 1 MiB, " + Units.bytes(part.length()) + " ext4 on " + device + " mounted at "
                + mountRoot;
    }

    Path root() {
        return mountRoot;
    }

    private Path partitionDevice(TargetDisk target, PartitionTable.Partition part) throws InstallException {
        if (target.blockDevice()) {
            try {
                commands.run(List.of("blockdev", "--rereadpt", target.path().toString()));
                String name = target.name();
                for (String candidate : List.of(name + "1", name + "p1")) {
                    if (Files.isDirectory(sysRoot.resolve("class/block").resolve(candidate))) {
                        Path node = Path.of("/dev", candidate);
                        long deadline = System.nanoTime() + NODE_WAIT.toNanos();
                        while (!Files.exists(node) && System.nanoTime() < deadline) {
                            sleep(50);
                        }
                        if (Files.exists(node)) {
                            return node;
                        }
                    }
                }
            } catch (Commands.CommandException e) {
                log.accept("warning: " + e.getMessage());
            }
            log.accept("kernel shows no partition 1 of " + target.path() + ": using a loop device at its offset");
        }
        Commands.CommandException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                String loop = commands.run(List.of("losetup", "-f"));
                commands.run(List.of("losetup", "-o", Long.toString(part.offset()), loop, target.path().toAbsolutePath().toString()));
                loops.push(loop);
                log.accept("attached partition 1 of " + target.path() + " to " + loop);
                return Path.of(loop);
            } catch (Commands.CommandException e) {
                last = e;
                sleep(100L * (attempt + 1));
            }
        }
        throw new InstallException(Kind.TARGET, "no loop device for partition 1 of " + target.path() + ": " + last.getMessage(), last);
    }

    private void run(List<String> cmd, String input, String what) throws InstallException {
        try {
            commands.run(cmd, input);
        } catch (Commands.CommandException e) {
            throw new InstallException(Kind.TARGET, what + ": " + (e.notStarted() ? cmd.get(0)
                    + " is not available (the ephemeral environment needs util-linux sfdisk and e2fsprogs mkfs.ext4 for root tarballs)"
                    : e.getMessage()), e);
        }
    }

    @Override
    public void close() {
        List<String> warnings = new ArrayList<>();
        if (mounted) {
            try {
                commands.run(List.of("sync"));
                commands.run(List.of("umount", mountRoot.toString()));
                mounted = false;
            } catch (Commands.CommandException e) {
                warnings.add(e.getMessage());
            }
        }
        while (!loops.isEmpty()) {
            try {
                commands.run(List.of("losetup", "-d", loops.pop()));
            } catch (Commands.CommandException e) {
                warnings.add(e.getMessage());
            }
        }
        warnings.forEach(w -> log.accept("warning: " + w));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
