package io.metalcast.curtin.installer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds the target disk: the one given, or the first suitable disk under {@code /sys/block} as curtin's simple mode does. */
final class DiskChooser {
    /** curtin's simple mode considers only disks of at least this size. */
    static final long MIN_DISK = 1L << 30;
    private static final Pattern NOT_A_DISK = Pattern.compile("^(loop|ram|sr|fd|zram|dm-).*");
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final Path sysRoot;
    private final Commands commands;

    DiskChooser(Path sysRoot, Commands commands) {
        this.sysRoot = sysRoot;
        this.commands = commands;
    }

    /** The first disk by name that is not loop/ram/sr/fd/zram/dm, not removable, and at least 1 GiB. */
    TargetDisk choose() throws InstallException {
        Path block = sysRoot.resolve("block");
        List<String> seen = new ArrayList<>();
        try (Stream<Path> entries = Files.list(block)) {
            for (String name : entries.map(p -> p.getFileName().toString()).sorted().toList()) {
                if (NOT_A_DISK.matcher(name).matches()) {
                    continue;
                }
                Path dir = block.resolve(name);
                if ("1".equals(read(dir.resolve("removable")))) {
                    seen.add(name + " (removable)");
                    continue;
                }
                long size = sectors(dir.resolve("size"));
                if (size < MIN_DISK) {
                    seen.add(name + " (" + Units.bytes(size) + ")");
                    continue;
                }
                return new TargetDisk(Path.of("/dev", name.replace('!', '/')), size, true);
            }
        } catch (IOException e) {
            throw new InstallException(InstallException.Kind.TARGET, "cannot list " + block + ": " + e.getMessage(), e);
        }
        throw new InstallException(InstallException.Kind.TARGET, "no disk under " + block + " is fixed and at least 1 GiB"
                + (seen.isEmpty() ? " (none seen)" : " (seen: " + String.join(", ", seen) + ")"));
    }

    /** The target the operator named: a block device (size from sysfs) or a regular file (size = its length). */
    TargetDisk inspect(Path target) throws InstallException {
        try {
            if (Files.isRegularFile(target)) {
                return new TargetDisk(target, Files.size(target), false);
            }
            if (!Files.exists(target)) {
                throw new InstallException(InstallException.Kind.TARGET, "target " + target + ": does not exist");
            }
            int mode = (Integer) Files.getAttribute(target, "unix:mode");
            if ((mode & S_IFMT) != S_IFBLK) {
                throw new InstallException(InstallException.Kind.TARGET, "target " + target + ": neither a block device nor a regular file");
            }
            Path real = target.toRealPath();
            String name = real.getFileName().toString();
            Path sizeFile = sysRoot.resolve("class/block").resolve(name).resolve("size");
            long size = Files.exists(sizeFile) ? sectors(sizeFile)
                    : Long.parseLong(commands.run(List.of("blockdev", "--getsize64", real.toString())));
            return new TargetDisk(real, size, true);
        } catch (IOException | NumberFormatException | UnsupportedOperationException e) {
            throw new InstallException(InstallException.Kind.TARGET, "target " + target + ": " + e.getMessage(), e);
        }
    }

    private static long sectors(Path sizeFile) throws IOException {
        String s = read(sizeFile);
        try {
            return Long.parseLong(s) * 512;
        } catch (NumberFormatException e) {
            throw new IOException(sizeFile + ": '" + s + "' (expected: a number of 512-byte sectors)");
        }
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p).trim() : "";
    }
}
