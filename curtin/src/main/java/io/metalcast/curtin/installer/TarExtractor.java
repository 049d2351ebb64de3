package io.metalcast.curtin.installer;

import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks a root filesystem tarball into a directory as {@code tar -xp --numeric-owner} would: regular files, directories,
 * symbolic and hard links, device nodes and FIFOs (through {@code mknod}/{@code mkfifo}), full modes including setuid,
 * setgid and sticky, numeric owners (when root), modification times. Directory modes and times are set last so writing
 * into them is not blocked. No entry may land outside the directory, also not through a symbolic link it unpacked
 * earlier. Extended attributes (file capabilities, SELinux labels) are not restored; they are counted and reported.
 */
final class TarExtractor implements StreamPipeline.TarConsumer {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private final Path root;
    private final boolean setOwners;
    private final Commands commands;
    private final Consumer<String> log;
    private long entries;
    private long xattrs;

    TarExtractor(Path root, boolean setOwners, Commands commands, Consumer<String> log) {
        this.root = root.toAbsolutePath().normalize();
        this.setOwners = setOwners;
        this.commands = commands;
        this.log = log;
    }

    long entries() {
        return entries;
    }

    @Override
    public void consume(InputStream in, AtomicLong extracted) throws IOException, InstallException {
        Path realRoot = fs(() -> root.toRealPath());
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        Deque<Runnable> directories = new ArrayDeque<>();
        byte[] buf = new byte[1 << 20];
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            entries++;
            xattrs += e.getExtraPaxHeaders().keySet().stream().filter(k -> k.startsWith("SCHILY.xattr.")).count();
            Path dest = resolve(e.getName(), realRoot);
            if (dest == null) {
                continue; // the root itself ("./")
            }
            TarArchiveEntry entry = e;
            if (e.isDirectory()) {
                fs(() -> {
                    if (Files.isSymbolicLink(dest) || (Files.exists(dest, NOFOLLOW) && !Files.isDirectory(dest, NOFOLLOW))) {
                        Files.delete(dest);
                    }
                    return Files.createDirectories(dest);
                });
                directories.push(() -> attributes(dest, entry, false));
                continue;
            }
            fs(() -> Files.deleteIfExists(dest));
            if (e.isSymbolicLink()) {
                fs(() -> Files.createSymbolicLink(dest, Path.of(entry.getLinkName())));
                attributes(dest, e, true);
            } else if (e.isLink()) {
                Path target = resolve(e.getLinkName(), realRoot);
                if (target == null) {
                    throw new IOException("tar entry " + e.getName() + ": hard link to the root directory");
                }
                fs(() -> Files.createLink(dest, target));
            } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                List<String> cmd = e.isFIFO() ? List.of("mkfifo", dest.toString())
                        : List.of("mknod", dest.toString(), e.isCharacterDevice() ? "c" : "b", Integer.toString(e.getDevMajor()),
                                Integer.toString(e.getDevMinor()));
                try {
                    commands.run(cmd);
                } catch (Commands.CommandException ce) {
                    throw new InstallException(Kind.WRITE, "creating " + e.getName() + " in the target: " + ce.getMessage(), ce);
                }
                attributes(dest, e, false);
            } else if (e.isFile()) {
                OutputStream out = fs(() -> Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
                try {
                    int n;
                    while ((n = tar.read(buf, 0, buf.length)) >= 0) {
                        int len = n;
                        fs(() -> {
                            out.write(buf, 0, len);
                            return null;
                        });
                        extracted.addAndGet(n);
                    }
                } catch (IOException | InstallException failed) {
                    try {
                        out.close();
                    } catch (IOException ignored) {
                        // the first failure is the one reported
                    }
                    throw failed;
                }
                fs(() -> {
                    out.close();
                    return null;
                });
                attributes(dest, e, false);
            } else {
                log.accept("tar entry " + e.getName() + ": type '" + (char) e.getLinkFlag() + "' skipped");
            }
        }
        while (!directories.isEmpty()) {
            directories.pop().run();
        }
        if (xattrs > 0) {
            log.accept(xattrs + " extended attribute(s) in the tarball not restored (capabilities, SELinux labels)");
        }
    }

    /** Where entry {@code name} goes: inside the root, and not reached through a link that leaves it; null for the root. */
    private Path resolve(String name, Path realRoot) throws IOException, InstallException {
        String n = name;
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        Path dest = root.resolve(n).normalize();
        if (!dest.startsWith(root)) {
            throw new IOException("tar entry " + name + " points outside the target");
        }
        if (dest.equals(root)) {
            return null;
        }
        Path parent = dest.getParent();
        fs(() -> Files.createDirectories(parent));
        Path realParent = fs(parent::toRealPath);
        if (!realParent.startsWith(realRoot)) {
            throw new IOException("tar entry " + name + " would be written through a link to " + realParent + ", outside the target");
        }
        return realParent.resolve(dest.getFileName());
    }

    private void attributes(Path dest, TarArchiveEntry e, boolean link) {
        try {
            if (setOwners) {
                Files.setAttribute(dest, "unix:gid", (int) e.getLongGroupId(), NOFOLLOW);
                Files.setAttribute(dest, "unix:uid", (int) e.getLongUserId(), NOFOLLOW);
            }
            if (!link) {
                Files.setAttribute(dest, "unix:mode", e.getMode() & 07777);
            }
            if (!e.isFIFO() && !e.isCharacterDevice() && !e.isBlockDevice()) {
                // setting times opens the file, which blocks on a FIFO: nodes keep their creation time
                FileTime mtime = FileTime.from(e.getLastModifiedDate().toInstant());
                Files.getFileAttributeView(dest, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, null, null);
            }
        } catch (IOException | UnsupportedOperationException ex) {
            log.accept("warning: attributes of " + e.getName() + ": " + ex.getMessage());
        }
    }

    private interface FsAction<T> {
        T run() throws IOException;
    }

    /** A filesystem operation on the target: its failure is a write failure, not a bad tarball. */
    private static <T> T fs(FsAction<T> action) throws InstallException {
        try {
            return action.run();
        } catch (IOException e) {
            throw new InstallException(Kind.WRITE, "writing the target: " + e, e);
        }
    }
}
