package io.metalcast.curtin.installer;

import com.github.luben.zstd.ZstdOutputStream;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.ImageFiletype;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Test images: a disk image with zero regions, its encodings for every filetype, and tarballs built entry by entry. */
final class Fixtures {
    static final int ZB = StreamPipeline.ZERO_BLOCK;
    static final Instant MTIME = Instant.parse("2020-01-02T03:04:05Z");

    private Fixtures() {
    }

    /**
     * About 6 MiB in 64 KiB blocks: data, zero runs (aligned and a short one), compressible text, and a ragged tail.
     * {@code zeroBlocks} of them are all zero.
     */
    static byte[] diskImage() {
        byte[] image = new byte[96 * ZB + 12345];
        Random r = new Random(7);
        for (int b = 0; b < 97; b++) {
            int off = b * ZB;
            int end = Math.min(off + ZB, image.length);
            boolean zero = (b >= 4 && b < 40) || b == 50 || (b >= 70 && b < 80);
            if (zero) {
                continue;
            }
            if (b % 3 == 0) {
                byte[] text = ("block " + b + " of a fairly compressible line of text\n").getBytes(StandardCharsets.US_ASCII);
                for (int i = off; i < end; i++) {
                    image[i] = text[(i - off) % text.length];
                }
            } else {
                byte[] noise = new byte[end - off];
                r.nextBytes(noise);
                System.arraycopy(noise, 0, image, off, noise.length);
            }
            image[end - 1] = 1; // never zero even if the noise ends in zeros
        }
        return image;
    }

    /** Bytes of {@link #diskImage()} in all-zero 64 KiB blocks. */
    static final long ZERO_BYTES = (36L + 1 + 10) * ZB;

    static byte[] compress(Compression c, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = switch (c) {
            case NONE -> bytes;
            case GZIP -> new GZIPOutputStream(bytes);
            case XZ -> new XZOutputStream(bytes, new LZMA2Options(0));
            case BZIP2 -> new BZip2CompressorOutputStream(bytes, 1);
            case ZSTD -> new ZstdOutputStream(bytes);
            case LZ4 -> throw new IllegalArgumentException("lz4 not used here");
        }) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /** What {@code filetype} expects to fetch for the disk image {@code image}. */
    static byte[] encode(ImageFiletype filetype, byte[] image) throws IOException {
        return switch (filetype) {
            case DDRAW -> image;
            case DDGZ -> compress(Compression.GZIP, image);
            case DDXZ -> compress(Compression.XZ, image);
            case DDBZ2 -> compress(Compression.BZIP2, image);
            case DDZST -> compress(Compression.ZSTD, image);
            case DDTAR -> diskTar(image);
            case DDTGZ -> compress(Compression.GZIP, diskTar(image));
            case DDTBZ -> compress(Compression.BZIP2, diskTar(image));
            case DDTXZ -> compress(Compression.XZ, diskTar(image));
            case TGZ, TBZ, TXZ -> throw new IllegalArgumentException(filetype + " is a root tarball");
        };
    }

    /** A tar as {@code tar -cf - ./ disk.img} makes it: a directory entry first, then the image. */
    static byte[] diskTar(byte[] image) throws IOException {
        return tar(List.of(dir("./", 0755, 0, 0), file("./disk.img", 0644, 0, 0, image)));
    }

    static TarArchiveEntry dir(String name, int mode, int uid, int gid) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_DIR);
        return attrs(e, mode, uid, gid);
    }

    static TarArchiveEntry file(String name, int mode, int uid, int gid, byte[] content) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_NORMAL);
        e.setSize(content.length);
        attrs(e, mode, uid, gid);
        return withContent(e, content);
    }

    static TarArchiveEntry link(String name, byte type, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setLinkName(target);
        return attrs(e, 0777, 0, 0);
    }

    static TarArchiveEntry fifo(String name, int mode) {
        return attrs(new TarArchiveEntry(name, TarArchiveEntry.LF_FIFO), mode, 0, 0);
    }

    private static final java.util.Map<TarArchiveEntry, byte[]> CONTENT = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    private static TarArchiveEntry withContent(TarArchiveEntry e, byte[] content) {
        CONTENT.put(e, content);
        return e;
    }

    private static TarArchiveEntry attrs(TarArchiveEntry e, int mode, int uid, int gid) {
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setModTime(MTIME.toEpochMilli());
        return e;
    }

    static byte[] tar(List<TarArchiveEntry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (TarArchiveEntry e : entries) {
                tar.putArchiveEntry(e);
                byte[] content = CONTENT.remove(e);
                if (content != null) {
                    tar.write(content);
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] garbage(int length) {
        byte[] g = new byte[length];
        Arrays.fill(g, (byte) 0xa5);
        return g;
    }

    /** A regular-file target of {@code length} bytes of {@link #garbage}, {@code disk.img} in {@code dir}. */
    static TargetDisk garbageFile(Path dir, int length) throws IOException {
        Path t = dir.resolve("disk.img");
        Files.write(t, garbage(length));
        return new TargetDisk(t, length, false);
    }

    /** A fake sysfs under {@code dir/sys} in which block device {@code device} says it cannot write zeroes. */
    static Path sysRootThatCannotZero(Path dir, String device) throws IOException {
        Path sys = dir.resolve("sys");
        Path queue = sys.resolve("class/block/" + Path.of(device).getFileName() + "/queue");
        Files.createDirectories(queue);
        Files.writeString(queue.resolve("write_zeroes_max_bytes"), "0\n");
        return sys;
    }

    /** The pipeline the tests run: 2 s progress, 5 s timeouts, 3 resumes 10 ms apart, zeroing through {@code sysRoot}. */
    static StreamPipeline pipeline(Commands commands, Path sysRoot) {
        return new StreamPipeline(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(5), 3,
                java.time.Duration.ofMillis(10), new TargetZeroing(commands, sysRoot));
    }
}
