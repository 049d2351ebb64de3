package io.metalcast.curtin.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random access over a stream that cannot seek (a decompressor): the stream is read forward only as far as the
 * furthest byte asked for, and what was read is kept in a sparse scratch file with all-zero blocks left as holes, so
 * a multi-GiB image whose needed metadata sits early is neither fully decompressed nor fully written. The scratch file
 * is deleted on close.
 */
final class SpoolSource implements ByteSource {
    private static final int BLOCK = 1 << 16;

    private final InputStream in;
    private final Path file;
    private final FileChannel ch;
    private final byte[] block = new byte[BLOCK];
    private long spooled;
    private boolean ended;

    SpoolSource(InputStream in, Path scratchDir) throws IOException {
        this.in = in;
        this.file = Files.createTempFile(scratchDir, "inspect-", ".spool");
        this.ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
    }

    /** How many bytes of the stream were read so far. */
    long spooled() {
        return spooled;
    }

    private void ensure(long end) throws IOException {
        while (!ended && spooled < end) {
            int n = next();
            if (n <= 0) {
                ended = true;
                ch.truncate(spooled);
                if (ch.size() < spooled) {
                    ch.write(ByteBuffer.allocate(1), spooled - 1); // a trailing hole still counts as content
                }
                break;
            }
            if (!allZero(block, n)) {
                ByteBuffer buf = ByteBuffer.wrap(block, 0, n);
                while (buf.hasRemaining()) {
                    ch.write(buf, spooled + buf.position());
                }
            }
            spooled += n;
            if (n < BLOCK) {
                ended = true;
                if (ch.size() < spooled) {
                    ch.write(ByteBuffer.allocate(1), spooled - 1);
                }
            }
        }
    }

    private int next() throws IOException {
        try {
            return in.readNBytes(block, 0, BLOCK);
        } catch (java.io.EOFException e) {
            throw new TruncatedImageException(spooled);
        } catch (IOException e) {
            throw new DamagedStreamException(e);
        }
    }

    private static boolean allZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int read(long position, byte[] into, int offset, int length) throws IOException {
        ensure(position + length);
        long avail = spooled - position;
        if (avail <= 0) {
            return 0;
        }
        int want = (int) Math.min(length, avail);
        ByteBuffer buf = ByteBuffer.wrap(into, offset, want);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position() - offset);
            if (n < 0) {
                // a hole at the end of the scratch file reads as zeros
                java.util.Arrays.fill(into, buf.position(), offset + want, (byte) 0);
                break;
            }
        }
        return want;
    }

    @Override
    public long size() {
        return ended ? spooled : -1;
    }

    /** Reads the rest of the stream (to learn its size and whether it is complete), keeping nothing. */
    long drain() throws IOException {
        while (!ended) {
            int n = next();
            if (n <= 0) {
                ended = true;
                break;
            }
            spooled += n;
            if (n < BLOCK) {
                ended = true;
            }
        }
        return spooled;
    }

    @Override
    public void close() throws IOException {
        try {
            in.close();
        } finally {
            ch.close();
            Files.deleteIfExists(file);
        }
    }
}
