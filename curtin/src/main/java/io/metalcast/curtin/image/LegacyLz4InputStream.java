package io.metalcast.curtin.image;

import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;

/**
 * The LZ4 legacy format ({@code lz4 -l}, what Linux kernels unpack initramfs from): magic {@code 0x184C2102}, then
 * blocks each led by its compressed size (32-bit little-endian). A zero size, a size no block can have, or the end of
 * the input ends the stream; a repeated magic starts a concatenated stream.
 */
final class LegacyLz4InputStream extends InputStream {
    static final int MAGIC = 0x184C2102;
    private static final int MAX_BLOCK = 8 << 20;
    private static final int MAX_COMPRESSED = MAX_BLOCK + MAX_BLOCK / 255 + 16;

    private final InputStream in;
    private InputStream block;
    private boolean ended;

    /** {@code in} is positioned just after the magic. */
    LegacyLz4InputStream(InputStream in) {
        this.in = in;
    }

    private boolean nextBlock() throws IOException {
        while (!ended) {
            byte[] b = in.readNBytes(4);
            if (b.length < 4) {
                ended = true;
                break;
            }
            int size = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
            if (size == MAGIC) {
                continue;
            }
            if (size <= 0 || size > MAX_COMPRESSED) {
                ended = true;
                break;
            }
            byte[] data = in.readNBytes(size);
            if (data.length < size) {
                throw new java.io.EOFException("lz4 legacy block of " + size + " bytes cut short at " + data.length);
            }
            block = new BlockLZ4CompressorInputStream(new java.io.ByteArrayInputStream(data));
            return true;
        }
        return false;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] into, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (block != null) {
                int n = block.read(into, off, len);
                if (n > 0) {
                    return n;
                }
                block = null;
            }
            if (!nextBlock()) {
                return -1;
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
