package io.metalcast.engine.ephemeral.simplestreams;

import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Receives one download: writes it to a file, hashes it, and refuses a byte past the limit. Written by one thread at a
 * time; {@link #count()} may be read from another (progress, stall detection).
 */
final class DownloadSink implements Closeable {
    private final Path file;
    private final long limit;
    private final String what;
    private final FileChannel out;
    private final MessageDigest sha;
    private volatile long count;

    DownloadSink(Path file, long limit, String what) throws IOException {
        this.file = file;
        this.limit = limit;
        this.what = what;
        this.out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE);
        this.sha = Sha256.digest();
    }

    long limit() {
        return limit;
    }

    String what() {
        return what;
    }

    void write(ByteBuffer buf) throws IOException {
        int n = buf.remaining();
        if (count + n > limit) {
            throw new SimplestreamsException(Kind.SIZE_EXCEEDED, what + ": more than the declared " + limit + " bytes");
        }
        sha.update(buf.duplicate());
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        count += n;
    }

    long count() {
        return count;
    }

    /** Forces the bytes to disk and closes; returns the sha256 of everything written. */
    String finish() throws IOException {
        out.force(true);
        out.close();
        return Sha256.hex(sha.digest());
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
