package io.metalcast.curtin.image;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Positional reads over an image's (decompressed) bytes: a plain file, a window of another source (a partition), or a
 * compressed stream spooled on demand ({@link SpoolSource}).
 */
interface ByteSource extends Closeable {

    /** Reads up to {@code length} bytes at {@code position}; fewer only at the end of the source. */
    int read(long position, byte[] into, int offset, int length) throws IOException;

    /** The size in bytes, or -1 while not known (a stream not yet read to its end). */
    long size();

    /** Exactly {@code length} bytes at {@code position}, little-endian; {@link TruncatedImageException} past the end. */
    default ByteBuffer readFully(long position, int length) throws IOException {
        byte[] b = new byte[length];
        int n = read(position, b, 0, length);
        if (n < length) {
            throw new TruncatedImageException(position + n);
        }
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Up to {@code length} bytes at {@code position}, shorter at the end, little-endian. */
    default ByteBuffer readUpTo(long position, int length) throws IOException {
        byte[] b = new byte[length];
        int n = read(position, b, 0, length);
        return ByteBuffer.wrap(b, 0, Math.max(n, 0)).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The part of this source from {@code offset}, {@code length} bytes long; closing it leaves this one open. */
    default ByteSource window(long offset, long length) {
        ByteSource outer = this;
        return new ByteSource() {
            @Override
            public int read(long position, byte[] into, int off, int len) throws IOException {
                if (position >= length) {
                    return 0;
                }
                return outer.read(offset + position, into, off, (int) Math.min(len, length - position));
            }

            @Override
            public long size() {
                long s = outer.size();
                return s < 0 ? length : Math.max(0, Math.min(length, s - offset));
            }

            @Override
            public void close() {
            }
        };
    }

    static ByteSource of(FileChannel ch) {
        return new ByteSource() {
            @Override
            public int read(long position, byte[] into, int offset, int length) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(into, offset, length);
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, position + buf.position() - offset);
                    if (n < 0) {
                        break;
                    }
                }
                return buf.position() - offset;
            }

            @Override
            public long size() {
                try {
                    return ch.size();
                } catch (IOException e) {
                    return -1;
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
