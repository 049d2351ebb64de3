package io.metalcast.curtin.installer;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/**
 * Positional writes of image bytes to the target. On a block device, writes aligned to the device's block size bypass
 * the page cache (O_DIRECT, through one aligned buffer): the page cache's copy and write-back of every byte cost more
 * than the device write itself on slow or emulated CPUs (in a TCG lab machine, 43 MB: 0.62 s buffered, 0.12 s direct
 * with dd). Unaligned writes (a ragged image end) and regular files go through the page cache. Not thread-safe.
 */
final class TargetWriter implements Closeable {
    private final TargetDisk target;
    private final FileChannel buffered;
    private final FileChannel direct;
    private final int alignment;
    private final ByteBuffer aligned;
    private long writes;

    private TargetWriter(TargetDisk target, FileChannel buffered, FileChannel direct, int alignment, int maxWrite) {
        this.target = target;
        this.buffered = buffered;
        this.direct = direct;
        this.alignment = alignment;
        this.aligned = direct == null ? null : ByteBuffer.allocateDirect(maxWrite + alignment).alignedSlice(alignment);
    }

    /** Opens {@code target} for writes of at most {@code maxWrite} bytes each; direct I/O when it is a block device that takes it. */
    static TargetWriter open(TargetDisk target, int maxWrite) throws IOException {
        FileChannel buffered = FileChannel.open(target.path(), StandardOpenOption.WRITE);
        if (!target.blockDevice()) {
            return new TargetWriter(target, buffered, null, 0, maxWrite);
        }
        try {
            int alignment = (int) Files.getFileStore(target.path()).getBlockSize();
            if (alignment < 512 || Integer.bitCount(alignment) != 1 || maxWrite % alignment != 0) {
                return new TargetWriter(target, buffered, null, 0, maxWrite);
            }
            FileChannel direct = FileChannel.open(target.path(), StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            return new TargetWriter(target, buffered, direct, alignment, maxWrite);
        } catch (IOException | UnsupportedOperationException e) {
            return new TargetWriter(target, buffered, null, 0, maxWrite); // no direct I/O here: the page cache it is
        }
    }

    /** Whether aligned writes bypass the page cache. */
    boolean direct() {
        return direct != null;
    }

    long writes() {
        return writes;
    }

    /** The page-cache channel (for wiping after a failure). */
    FileChannel channel() {
        return buffered;
    }

    /**
     * Writes {@code data[offset, offset + length)} at byte {@code at} of the target. The callers have checked that the
     * image fits the target (the stream's writer chunk by chunk, the block map's copy before it starts).
     */
    void write(byte[] data, int offset, int length, long at) throws IOException {
        writes++;
        if (direct != null && at % alignment == 0 && length % alignment == 0 && length <= aligned.capacity()) {
            aligned.clear();
            aligned.put(data, offset, length).flip();
            fully(direct, aligned, at);
        } else {
            fully(buffered, ByteBuffer.wrap(data, offset, length), at);
        }
    }

    /** Everything written reaches the device. */
    void force() throws IOException {
        buffered.force(true);
        if (direct != null) {
            direct.force(true);
        }
    }

    private void fully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        long pos = at;
        while (buf.hasRemaining()) {
            int n = ch.write(buf, pos);
            if (n <= 0) {
                throw new IOException("no progress writing " + target.path());
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            buffered.close();
        } finally {
            if (direct != null) {
                direct.close();
            }
        }
    }
}
