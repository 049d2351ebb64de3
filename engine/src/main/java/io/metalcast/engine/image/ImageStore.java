package io.metalcast.engine.image;

import io.metalcast.curtin.image.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Content-addressed files under {@code data_dir/files/<sha256>}, a raw image's block map beside it as
 * {@code <sha256>.bmap}, a compressed disk image's raw view as {@code <sha256>.raw} with {@code <sha256>.raw.bmap} and
 * {@code <sha256>.raw.sha256}. Writes go to {@code data_dir/tmp/} first, are hashed, fsynced and renamed atomically, so a
 * name under {@code files/} always holds the complete content. Blocking: call it on the blocking executor.
 */
public final class ImageStore {
    private static final int BUFFER = 1 << 20;
    /** What a block map's name adds to its image's. */
    public static final String BLOCK_MAP_SUFFIX = ".bmap";
    /** What the raw view of a compressed disk image adds to its name (and its map adds {@link #BLOCK_MAP_SUFFIX} after). */
    public static final String RAW_VIEW_SUFFIX = ".raw";
    /** What the raw view's sidecar (its sha256 and size) adds to the stored file's name. */
    private static final String RAW_SUM_SUFFIX = ".raw.sha256";
    private final Path files;
    private final Path tmp;

    public ImageStore(Path dataDir) {
        this.files = dataDir.resolve("files");
        this.tmp = dataDir.resolve("tmp");
        try {
            Files.createDirectories(files);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("image store: cannot create " + files + " or " + tmp, e);
        }
    }

    /** Where uploads in progress are written; on the same file system as the store, so renames are atomic. */
    public Path tmpDir() {
        return tmp;
    }

    /** Streams {@code in} to a temporary file while hashing it, then stores it. */
    public StoredFile put(InputStream in) throws IOException {
        Path t = Files.createTempFile(tmp, "upload-", ".part");
        try {
            MessageDigest sha = Sha256.digest();
            long size = 0;
            try (FileChannel out = FileChannel.open(t, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                    size += n;
                }
                out.force(true);
            }
            return publish(t, new StoredFile(Sha256.hex(sha.digest()), size));
        } finally {
            Files.deleteIfExists(t);
        }
    }

    /**
     * Stores a file already written somewhere under {@link #tmpDir()} (an upload decoder's temporary file): hashes it,
     * fsyncs it and moves it into place. The temporary file is gone afterwards.
     */
    public StoredFile put(Path tempFile) throws IOException {
        try {
            MessageDigest sha = Sha256.digest();
            long size = 0;
            try (FileChannel ch = FileChannel.open(tempFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(BUFFER);
                while (ch.read(buf) > 0 || buf.position() > 0) {
                    buf.flip();
                    size += buf.remaining();
                    sha.update(buf);
                    buf.clear();
                }
                ch.force(true);
            }
            return publish(tempFile, new StoredFile(Sha256.hex(sha.digest()), size));
        } finally {
            Files.deleteIfExists(tempFile);
        }
    }

    /**
     * Stores a file under {@link #tmpDir()} whose sha256 and size the caller has already verified and fsynced (a
     * completed chunked upload). The file is gone afterwards; when the content is already stored, one copy is kept.
     */
    public StoredFile adopt(Path verified, StoredFile known) throws IOException {
        try {
            return publish(verified, known);
        } finally {
            Files.deleteIfExists(verified);
        }
    }

    /** Removes a stored file (no longer referenced by any resource), then its block map and its raw view. */
    public void delete(String sha256) throws IOException {
        Files.deleteIfExists(path(sha256));
        Files.deleteIfExists(blockMap(sha256));
        deleteRawView(sha256);
    }

    /** Removes the raw view of the stored file {@code sha256}, its map and its sidecar (the sidecar first). */
    public void deleteRawView(String sha256) throws IOException {
        Files.deleteIfExists(rawViewSum(sha256));
        Files.deleteIfExists(rawView(sha256));
        Files.deleteIfExists(rawViewMap(sha256));
    }

    /** The path of the raw view (the decompressed disk, sparse) of the stored compressed image {@code sha256}. */
    public Path rawView(String sha256) {
        return files.resolve(path(sha256).getFileName() + RAW_VIEW_SUFFIX);
    }

    /** The path of the block map of the raw view of {@code sha256}. */
    public Path rawViewMap(String sha256) {
        return files.resolve(path(sha256).getFileName() + RAW_VIEW_SUFFIX + BLOCK_MAP_SUFFIX);
    }

    /**
     * The path of the raw view's sidecar: {@code <raw sha256> <raw size>}, written last, so its presence says the view
     * and its map are complete.
     */
    public Path rawViewSum(String sha256) {
        return files.resolve(path(sha256).getFileName() + RAW_SUM_SUFFIX);
    }

    /**
     * Moves a file written, and fsynced, under {@link #tmpDir()} to {@code target} under {@code files/}, atomically,
     * replacing what is there; the directory is fsynced after.
     */
    public void place(Path written, Path target) throws IOException {
        if (!target.getParent().equals(files)) {
            throw new IllegalArgumentException("target: " + target + " (expected: a file directly in " + files + ")");
        }
        moveIntoPlace(written, target);
    }

    /** Writes {@code bytes} to a temporary file, fsyncs it and moves it to {@code target} as {@link #place} does. */
    public void placeBytes(byte[] bytes, Path target) throws IOException {
        Path t = Files.createTempFile(tmp, "side-", ".part");
        try {
            try (FileChannel out = FileChannel.open(t, StandardOpenOption.WRITE)) {
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                out.force(true);
            }
            place(t, target);
        } finally {
            Files.deleteIfExists(t);
        }
    }

    /** The path the block map of the stored file {@code sha256} lives at (it may not exist). */
    public Path blockMap(String sha256) {
        return files.resolve(path(sha256).getFileName() + BLOCK_MAP_SUFFIX);
    }

    /**
     * Stores {@code bmap} as the block map of the stored file {@code sha256}: written under {@link #tmpDir()}, fsynced
     * and renamed into place. When the stored file is gone by then (deleted meanwhile) the map is removed again.
     *
     * @return false when the stored file is gone and no map was kept
     */
    public boolean putBlockMap(String sha256, byte[] bmap) throws IOException {
        Path target = blockMap(sha256);
        placeBytes(bmap, target);
        // delete() removes the file before its map: a map renamed in after that removal is seen here and removed.
        if (!contains(sha256)) {
            Files.deleteIfExists(target);
            return false;
        }
        return true;
    }

    /** The path a stored file lives at (it may not exist). */
    public Path path(String sha256) {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lowercase hex digits)");
        }
        return files.resolve(sha256);
    }

    public boolean contains(String sha256) {
        return Files.isRegularFile(path(sha256));
    }

    private StoredFile publish(Path t, StoredFile stored) throws IOException {
        Path target = path(stored.sha256());
        if (Files.isRegularFile(target) && Files.size(target) == stored.size()) {
            return stored; // same content already present: keep one copy
        }
        moveIntoPlace(t, target);
        return stored;
    }

    private void moveIntoPlace(Path t, Path target) throws IOException {
        try {
            Files.move(t, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("image store: " + t + " and " + files + " are not on one file system", e);
        }
        try (FileChannel dir = FileChannel.open(files, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse to open a directory for fsync; the rename itself is atomic.
        }
    }
}
