package io.metalcast.pxe.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Opens a file a boot policy named, refusing symlinks that lead out of the directory the policy named.
 * Blocking: call it on a blocking executor, never on an event loop.
 */
public final class BootFiles {
    private BootFiles() {
    }

    /** An open published file: its channel (owned by the caller), exact size and modification time. */
    public record Opened(FileChannel channel, long size, long lastModifiedMillis) {
    }

    /** The named file is a symlink whose target lies outside the named file's directory tree. */
    public static final class SymlinkEscapeException extends IOException {
        public SymlinkEscapeException(Path file, Path real) {
            super("symlink: " + file + " -> " + real + " (expected: inside " + file.getParent() + ")");
        }
    }

    /** The named path is not a regular file (a directory, a device). */
    public static final class NotRegularFileException extends IOException {
        public NotRegularFileException(Path file) {
            super("file: " + file + " (expected: a regular file)");
        }
    }

    /**
     * Opens {@code file} for reading.
     *
     * <p>A plain file is opened with {@code NOFOLLOW_LINKS}, so a file swapped for a symlink after the check fails to
     * open. A symlink is followed only when its real path lies inside the real path of the file's own directory.
     *
     * @throws NoSuchFileException     when it does not exist
     * @throws SymlinkEscapeException  when it is a symlink out of its directory tree
     * @throws NotRegularFileException when it is not a regular file
     */
    public static Opened open(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path parent = absolute.getParent();
        if (parent == null) {
            throw new NotRegularFileException(file);
        }
        FileChannel channel;
        if (Files.isSymbolicLink(absolute)) {
            Path real = absolute.toRealPath();
            if (!real.startsWith(parent.toRealPath())) {
                throw new SymlinkEscapeException(absolute, real);
            }
            channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } else {
            try {
                channel = FileChannel.open(absolute, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                if (Files.isSymbolicLink(absolute)) {
                    // Swapped for a symlink between the check and the open.
                    throw new SymlinkEscapeException(absolute, absolute);
                }
                throw e;
            }
        }
        try {
            // Attributes of the open file's path; a directory opens on Linux but is not a boot file.
            BasicFileAttributes attrs = Files.readAttributes(absolute, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                throw new NotRegularFileException(file);
            }
            return new Opened(channel, channel.size(), attrs.lastModifiedTime().toMillis());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
