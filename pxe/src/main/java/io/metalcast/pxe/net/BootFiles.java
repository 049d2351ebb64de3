package io.metalcast.pxe.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Opens a file a boot policy named, refusing symlinks that lead out of the directory the policy named.
 * Blocking: call it on a blocking executor, never on an event loop.
 *
 * <p>The check and the open cannot be separated by a swap: the named file's directory is opened once, and every path
 * component below it is opened relative to the directory opened before it ({@code openat}) with {@code O_NOFOLLOW}.
 * A symlink is resolved only to learn where it points; the target is then reached again component by component,
 * never by following a link, so replacing any component with a symlink between the check and the open makes the
 * open fail and the file is refused.
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
     * @throws NoSuchFileException     when it does not exist
     * @throws SymlinkEscapeException  when it is a symlink out of its directory tree, or a component was replaced by a
     *                                 symlink while it was being opened
     * @throws NotRegularFileException when it is not a regular file
     */
    public static Opened open(Path file) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return openOnce(file);
            } catch (Changed e) {
                if (attempt == MAX_ATTEMPTS) {
                    throw e.fallback;
                }
            }
        }
    }

    /** Attempts when the tree keeps changing under an open (each change seen restarts from the check). */
    private static final int MAX_ATTEMPTS = 8;

    /** The tree changed between the check and the open: start again; {@code fallback} if it keeps changing. */
    private static final class Changed extends Exception {
        final IOException fallback;

        Changed(IOException fallback) {
            super(null, null, false, false);
            this.fallback = fallback;
        }
    }

    private static Opened openOnce(Path file) throws IOException, Changed {
        Path absolute = file.toAbsolutePath();
        Path parent = absolute.getParent();
        Path name = absolute.getFileName();
        if (parent == null || name == null) {
            throw new NotRegularFileException(file);
        }
        Path parentReal = parent.toRealPath();
        List<Path> components;
        if (Files.isSymbolicLink(absolute)) {
            Path real;
            try {
                real = absolute.toRealPath();
            } catch (NoSuchFileException dangling) {
                throw new NoSuchFileException(absolute.toString());
            }
            if (!real.startsWith(parentReal) || real.equals(parentReal)) {
                throw new SymlinkEscapeException(absolute, real);
            }
            components = new ArrayList<>();
            parentReal.relativize(real).forEach(components::add);
        } else {
            components = List.of(name);
        }
        DirectoryStream<Path> top = Files.newDirectoryStream(parentReal);
        if (!(top instanceof SecureDirectoryStream<Path> dir)) {
            top.close();
            Path real = parentReal;
            for (Path c : components) {
                real = real.resolve(c);
            }
            return openByPath(absolute, real);
        }
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        opened.add(dir);
        try {
            SecureDirectoryStream<Path> current = dir;
            for (int i = 0; i < components.size() - 1; i++) {
                try {
                    current = current.newDirectoryStream(components.get(i), LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    throw e;
                } catch (FileSystemException e) {
                    throw replaced(absolute, current, components.get(i), e);
                }
                opened.add(current);
            }
            Path last = components.get(components.size() - 1);
            BasicFileAttributes before = current.getFileAttributeView(last, BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            if (before.isSymbolicLink()) {
                // a plain file at the check, a symlink now: check again where it leads
                throw new Changed(new SymlinkEscapeException(absolute, absolute));
            }
            if (!before.isRegularFile()) {
                throw new NotRegularFileException(file);
            }
            SeekableByteChannel raw;
            try {
                raw = current.newByteChannel(last, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) { // ELOOP comes as a plain IOException here
                throw replaced(absolute, current, last, e);
            }
            if (!(raw instanceof FileChannel channel)) {
                raw.close();
                throw new IOException("file: " + file + " (expected: a file channel, got " + raw.getClass().getName() + ")");
            }
            BasicFileAttributes after;
            try {
                after = current.getFileAttributeView(last, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (!after.isRegularFile()) {
                channel.close();
                throw new Changed(new NotRegularFileException(file)); // replaced right after the open
            }
            return verified(file, channel, after);
        } finally {
            for (SecureDirectoryStream<Path> s : opened) {
                s.close();
            }
        }
    }

    /** Where the platform has no {@code openat}: check, then open the checked real path without following it. */
    private static Opened openByPath(Path named, Path real) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (FileSystemException e) {
            if (Files.isSymbolicLink(real)) {
                throw swapped(named, e);
            }
            throw e;
        }
        return verified(named, channel, Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    }

    /**
     * Checks on the open descriptor itself that it reads like a regular file (a positional read fails on a directory
     * or a pipe) and that the entry's attributes say regular file; closes it otherwise. The size is the descriptor's.
     */
    private static Opened verified(Path file, FileChannel channel, BasicFileAttributes attrs) throws IOException {
        try {
            try {
                channel.read(ByteBuffer.allocate(1), 0);
            } catch (IOException e) {
                throw new NotRegularFileException(file);
            }
            long size = channel.size();
            if (!attrs.isRegularFile()) {
                throw new NotRegularFileException(file);
            }
            return new Opened(channel, size, attrs.lastModifiedTime().toMillis());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static SymlinkEscapeException swapped(Path file, IOException cause) {
        SymlinkEscapeException e = new SymlinkEscapeException(file, file);
        e.initCause(cause);
        return e;
    }

    /**
     * An {@code O_NOFOLLOW} open failed although the check just found a real directory or file there. ELOOP has no
     * exception type of its own, so any such failure starts the open again; if it keeps failing, the last failure
     * stands, reported as an escape when the component is a symlink then.
     */
    private static Changed replaced(Path file, SecureDirectoryStream<Path> dir, Path component, IOException e) {
        try {
            BasicFileAttributes now = dir.getFileAttributeView(component, BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            if (now.isSymbolicLink()) {
                return new Changed(swapped(file, e));
            }
        } catch (IOException gone) {
            e.addSuppressed(gone);
        }
        return new Changed(e);
    }
}
