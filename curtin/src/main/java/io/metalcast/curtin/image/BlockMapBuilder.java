package io.metalcast.curtin.image;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the {@link BlockMap} of an image whose bytes arrive in order (while it is decompressed, say), so the image
 * need not be read again: fed whole blocks, the last one possibly short, it says of each whether it holds data and
 * hashes the runs of such blocks. The one place that maps by content: {@link BlockMap#scan} feeds it a file. Not
 * thread-safe.
 */
public final class BlockMapBuilder {
    private final int blockSize;
    private final byte[] zeros;
    private final MessageDigest run;
    private final List<BlockMap.Range> ranges = new ArrayList<>();
    private long blocks;
    private long size;
    private long runStart = -1;
    private boolean ended;

    /** @param blockSize a power of two from 512 to 1 MiB, as {@link BlockMap} takes */
    public BlockMapBuilder(int blockSize) {
        new BlockMap(0, blockSize, List.of()); // validates the block size with BlockMap's message
        this.blockSize = blockSize;
        this.zeros = new byte[blockSize];
        this.run = Sha256.digest();
    }

    public int blockSize() {
        return blockSize;
    }

    /** Bytes added so far. */
    public long size() {
        return size;
    }

    /**
     * Adds the next block: {@code len} bytes of {@code b} from {@code off}, {@link #blockSize()} of them except for the
     * image's last block.
     *
     * @return true when the block holds a non-zero byte (it is mapped); false for an all-zero block
     * @throws IllegalArgumentException for a block longer than the block size, or an empty one
     * @throws IllegalStateException    after a short block (only the last may be short)
     */
    public boolean add(byte[] b, int off, int len) {
        if (len < 1 || len > blockSize) {
            throw new IllegalArgumentException("block: " + len + " bytes (expected: 1.." + blockSize + ")");
        }
        if (ended) {
            throw new IllegalStateException("block " + blocks + " added after a short block (expected: only the last block short)");
        }
        ended = len < blockSize;
        boolean data = Arrays.mismatch(b, off, off + len, zeros, 0, len) >= 0;
        if (data) {
            if (runStart < 0) {
                runStart = blocks;
            }
            run.update(b, off, len);
        } else {
            closeRun();
        }
        blocks++;
        size += len;
        return data;
    }

    private void closeRun() {
        if (runStart >= 0) {
            ranges.add(new BlockMap.Range(runStart, blocks - 1, Sha256.hex(run.digest())));
            runStart = -1;
        }
    }

    /** The map of the blocks added; the builder may go on taking blocks afterwards. */
    public BlockMap build() {
        List<BlockMap.Range> out = new ArrayList<>(ranges);
        if (runStart >= 0) {
            MessageDigest copy;
            try {
                copy = (MessageDigest) run.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("sha256 state cannot be copied", e);
            }
            out.add(new BlockMap.Range(runStart, blocks - 1, Sha256.hex(copy.digest())));
        }
        return new BlockMap(size, blockSize, out);
    }
}
