package io.metalcast.curtin.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The raw disk image inside the stored bytes of a disk-image upload: the bytes themselves for {@code ddraw}, decoded by
 * the compression their magic names for {@code ddgz}/{@code ddxz}/{@code ddbz2}/{@code ddzst}, and the first regular
 * member of the tar for {@code ddtar}/{@code ddtgz}/{@code ddtbz}/{@code ddtxz} (as {@code tar -xOf} and the installer
 * unwrap it).
 */
public final class DiskImageStream {
    private DiskImageStream() {
    }

    /** A stream that is not what its disk-image filetype says: not compressed, or a tar without a regular file. */
    public static final class NotADiskImageException extends IOException {
        private static final long serialVersionUID = 1L;

        NotADiskImageException(String message) {
            super(message);
        }
    }

    /**
     * The disk image's bytes read from {@code stored} (which the returned stream owns: closing it closes
     * {@code stored}).
     *
     * @throws IllegalArgumentException for a filetype that is not a disk image
     * @throws NotADiskImageException   when a compressed type's bytes carry no known compression magic, or a tar type
     *                                  holds no regular file
     */
    public static InputStream open(InputStream stored, ImageFiletype type) throws IOException {
        if (!type.diskImage()) {
            throw new IllegalArgumentException("filetype: " + type.uploadName() + " (expected: a disk image type, dd...)");
        }
        boolean tar = type == ImageFiletype.DDTAR || type == ImageFiletype.DDTGZ || type == ImageFiletype.DDTBZ
                || type == ImageFiletype.DDTXZ;
        InputStream decoded = stored;
        if (type != ImageFiletype.DDRAW && type != ImageFiletype.DDTAR) {
            BufferedInputStream in = new BufferedInputStream(stored, 1 << 16);
            in.mark(Compression.MAGIC_BYTES);
            byte[] head = in.readNBytes(Compression.MAGIC_BYTES);
            in.reset();
            Compression c = Compression.detect(head, head.length);
            if (c == Compression.NONE) {
                throw new NotADiskImageException(type.uploadName() + " content is not compressed: it starts with "
                        + HexFormat.of().formatHex(head) + " (expected: gzip, xz, bzip2, zstd or lz4 magic)");
            }
            decoded = c.decode(in);
        }
        if (!tar) {
            return decoded;
        }
        TarArchiveInputStream members = new TarArchiveInputStream(decoded);
        for (TarArchiveEntry e = members.getNextEntry(); e != null; e = members.getNextEntry()) {
            if (e.isFile()) {
                return members;
            }
        }
        members.close();
        throw new NotADiskImageException(type.uploadName() + " content holds no regular file (expected: a tar with the disk image)");
    }
}
