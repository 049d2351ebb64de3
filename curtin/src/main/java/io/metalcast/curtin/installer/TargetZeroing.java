package io.metalcast.curtin.installer;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the part of the target an image will cover read back as zeros, cheaply, so the writer may skip the image's all-zero
 * blocks. A regular file is truncated and re-extended (or has a hole punched when bytes beyond the image must stay); a
 * block device is zeroed with {@code blkdiscard -z} (BLKZEROOUT) only when it offloads zeroing
 * ({@code queue/write_zeroes_max_bytes > 0}), since otherwise the kernel would write the zeros itself. When none of this
 * works the target is left as it is and every block is written.
 */
final class TargetZeroing {
    /** The outcome: whether {@code [0, length)} now reads as zeros, and how, in words. */
    record Outcome(boolean zeroed, String how) {
    }

    private static final int SECTOR = 512;
    private final Commands commands;
    private final Path sysRoot;

    TargetZeroing(Commands commands, Path sysRoot) {
        this.commands = commands;
        this.sysRoot = sysRoot;
    }

    /** Zeroes {@code [0, length)} of {@code target}; {@code length < 0} (unknown) zeroes all of it. */
    Outcome zero(TargetDisk target, long length) {
        long size = target.size();
        boolean whole = length < 0 || length >= size;
        if (!target.blockDevice()) {
            if (whole) {
                try (RandomAccessFile f = new RandomAccessFile(target.path().toFile(), "rw")) {
                    f.setLength(0);
                    f.setLength(size);
                    return new Outcome(true, "truncated " + target.path() + " to zeros");
                } catch (IOException e) {
                    return new Outcome(false, "cannot truncate " + target.path() + " (" + e.getMessage() + "): writing zero blocks");
                }
            }
            return run(List.of("fallocate", "--punch-hole", "--offset", "0", "--length", Long.toString(length),
                    target.path().toString()), "punched a hole over the image's " + Units.bytes(length));
        }
        long offload = writeZeroesMax(target.name());
        if (offload <= 0) {
            return new Outcome(false, target.path() + " does not offload zeroing (write_zeroes_max_bytes "
                    + (offload < 0 ? "unknown" : "0") + "): writing zero blocks");
        }
        List<String> cmd = new ArrayList<>(List.of("blkdiscard", "-z"));
        long len = size;
        if (!whole) {
            len = Math.min(size, (length + SECTOR - 1) / SECTOR * SECTOR);
            cmd.addAll(List.of("-o", "0", "-l", Long.toString(len)));
        }
        cmd.add(target.path().toString());
        return run(cmd, "zeroed " + Units.bytes(len) + " of " + target.path() + " with blkdiscard -z");
    }

    private Outcome run(List<String> cmd, String done) {
        try {
            commands.run(cmd);
            return new Outcome(true, done);
        } catch (Commands.CommandException e) {
            return new Outcome(false, (e.notStarted() ? cmd.get(0) + " not available" : e.getMessage()) + ": writing zero blocks");
        }
    }

    private long writeZeroesMax(String name) {
        Path f = sysRoot.resolve("class/block").resolve(name).resolve("queue/write_zeroes_max_bytes");
        try {
            return Long.parseLong(Files.readString(f).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
