package io.metalcast.curtin.image;

import com.github.luben.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Stream compressions that images and initramfs segments come in, recognised by their magic bytes. The one place that
 * knows them: the installer decodes through it, image inspection reads through it.
 */
public enum Compression {
    NONE(new int[0]),
    GZIP(new int[] {0x1f, 0x8b}),
    XZ(new int[] {0xfd, '7', 'z', 'X', 'Z', 0x00}),
    BZIP2(new int[] {'B', 'Z', 'h'}),
    ZSTD(new int[] {0x28, 0xb5, 0x2f, 0xfd}),
    /** LZ4 frame format (not the legacy format some kernels use for initramfs). */
    LZ4(new int[] {0x04, 0x22, 0x4d, 0x18});

    /** How many leading bytes {@link #detect} needs at most. */
    public static final int MAGIC_BYTES = 6;

    private final int[] magic;

    Compression(int[] magic) {
        this.magic = magic;
    }

    /** The compression whose magic starts {@code head}; {@link #NONE} when none does. */
    public static Compression detect(byte[] head, int length) {
        for (Compression c : values()) {
            if (c.magic.length > 0 && c.magic.length <= length && c.matches(head)) {
                return c;
            }
        }
        return NONE;
    }

    private boolean matches(byte[] head) {
        for (int i = 0; i < magic.length; i++) {
            if ((head[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /** Wraps {@code in} in this compression's decoder; concatenated streams/members are read through. */
    public InputStream decode(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case XZ -> new XZInputStream(in);
            case BZIP2 -> new BZip2CompressorInputStream(in, true);
            case ZSTD -> new ZstdInputStream(in);
            case LZ4 -> new FramedLZ4CompressorInputStream(in, true);
        };
    }
}
