package io.metalcast.curtin.installer;

import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.ImageFiletype;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * How the fetched bytes of a curtin source become what is installed. Compressed types are decoded by the compression their
 * magic bytes name ({@link Compression}, so a {@code dd-gz} that really holds xz still installs); raw and plain-tar types
 * are never sniffed.
 *
 * @param filetype   the MAAS filetype the source type belongs to
 * @param layout     what the decoded bytes are
 * @param compressed whether the fetched bytes are compressed
 */
record SourceFormat(ImageFiletype filetype, Layout layout, boolean compressed) {
    /** What the decoded bytes are. */
    enum Layout {
        /** A disk image, written to the target as it is. */
        DISK,
        /** A tar whose first regular member is the disk image (curtin: {@code tar -xOf}). */
        TAR_DISK,
        /** A root filesystem tarball, unpacked into a fresh filesystem on the target. */
        ROOT_TAR
    }

    /** A source whose bytes do not decode as its type says: not compressed, corrupt, truncated, or a tar without a file. */
    static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    /** The format of a curtin source type, if this installer deploys it. */
    static Optional<SourceFormat> forType(String curtinType) {
        return ImageFiletype.ofCurtinType(curtinType).map(SourceFormat::of);
    }

    static SourceFormat of(ImageFiletype t) {
        return switch (t) {
            case DDRAW -> new SourceFormat(t, Layout.DISK, false);
            case DDGZ, DDXZ, DDBZ2, DDZST -> new SourceFormat(t, Layout.DISK, true);
            case DDTAR -> new SourceFormat(t, Layout.TAR_DISK, false);
            case DDTGZ, DDTBZ, DDTXZ -> new SourceFormat(t, Layout.TAR_DISK, true);
            case TGZ, TBZ, TXZ -> new SourceFormat(t, Layout.ROOT_TAR, true);
        };
    }

    /** The source types {@link #forType} knows, for error messages. */
    static String supported() {
        return Arrays.stream(ImageFiletype.values()).map(ImageFiletype::curtinType).collect(Collectors.joining(", "));
    }

    /** True when the image is exactly the fetched bytes, so its length is known before writing. */
    boolean preservesLength() {
        return layout == Layout.DISK && !compressed;
    }

    /** The fetched bytes decompressed (as they are for an uncompressed type); {@code onDetected} learns the compression. */
    InputStream decompress(InputStream fetched, java.util.function.Consumer<Compression> onDetected) throws IOException {
        if (!compressed) {
            onDetected.accept(Compression.NONE);
            return fetched;
        }
        PushbackInputStream in = new PushbackInputStream(fetched, Compression.MAGIC_BYTES);
        byte[] head = new byte[Compression.MAGIC_BYTES];
        int n = in.readNBytes(head, 0, head.length);
        in.unread(head, 0, n);
        Compression c = Compression.detect(head, n);
        if (c == Compression.NONE) {
            throw new FormatException(filetype.curtinType() + " source is not compressed: it starts with "
                    + java.util.HexFormat.of().formatHex(head, 0, n) + " (expected: gzip, xz, bzip2, zstd or lz4 magic)");
        }
        onDetected.accept(c);
        return c.decode(in);
    }

    /**
     * The disk image inside {@code decompressed}: itself for {@link Layout#DISK}, the first regular member's bytes for
     * {@link Layout#TAR_DISK}.
     */
    InputStream diskImage(InputStream decompressed) throws IOException {
        if (layout == Layout.DISK) {
            return decompressed;
        }
        if (layout != Layout.TAR_DISK) {
            throw new IllegalStateException(filetype.curtinType() + " is a root tarball, not a disk image");
        }
        TarArchiveInputStream tar = new TarArchiveInputStream(decompressed);
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            if (entry.isFile()) {
                return tar;
            }
        }
        throw new FormatException(filetype.curtinType() + " source holds no regular file (expected: a tar with the disk image)");
    }
}
