package io.metalcast.curtin.image;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Inspects an uploaded image without mounting it or running anything: finds its real compression and container,
 * compares them with the declared filetype, reads the partition table and the ext2/3/4 root filesystem (or lists the
 * tar archive) to find cloud-init, netplan, curtin hooks and os-release. Blocking and slow for large images: call it
 * on an executor, off any request path.
 *
 * <p>Memory stays flat whatever the size. An uncompressed image is read in place. A compressed disk image cannot
 * seek, so its decompressed stream is read forward only as far as the furthest byte the partition table and
 * filesystem reads need, kept in a sparse scratch file (all-zero blocks are left as holes) that is deleted afterwards;
 * the rest of the stream is then decompressed without being kept, to check it is complete. A tar archive is streamed
 * once.
 */
public final class ImageInspector {
    /** Enough of the start of a disk, filesystem or partition to recognise it (btrfs has its magic at 64 KiB + 64). */
    static final int HEAD = 68 * 1024;
    private static final int OS_RELEASE_MAX = 65536;
    private static final String BIOS_BOOT = "21686148-6449-6e6f-744e-656564454649";

    private ImageInspector() {
    }

    /** {@link #inspect(Path, ImageFiletype, Path)} with scratch files in the system temporary directory. */
    public static Inspection inspect(Path file, ImageFiletype declared) throws IOException {
        return inspect(file, declared, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * Inspects {@code file}, uploaded as {@code declared}. Problems with the content become findings; only a file that
     * cannot be opened throws.
     *
     * @param scratchDir where a compressed disk image's needed part is spooled (sparse, deleted before returning)
     */
    public static Inspection inspect(Path file, ImageFiletype declared, Path scratchDir) throws IOException {
        Result r = new Result(declared);
        byte[] magic = new byte[Compression.MAGIC_BYTES];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(magic, 0, magic.length);
        }
        r.compression = Compression.detect(magic, n);
        try {
            analyse(file, scratchDir, r);
        } catch (IOException | RuntimeException e) {
            r.problem(e, "the content");
        }
        return r.build();
    }

    private static void analyse(Path file, Path scratchDir, Result r) throws IOException {
        if (Files.size(file) == 0) {
            r.container = Container.EMPTY;
            r.mismatch(null);
            return;
        }
        ByteBuffer head;
        try (InputStream in = r.compression.decode(Files.newInputStream(file))) {
            byte[] b = in.readNBytes(HEAD);
            head = ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            r.container = Container.UNKNOWN;
            r.problem(e, "the " + name(r.compression) + " stream");
            return;
        }
        Container first = classify(head);
        if (first == Container.TAR_OTHER) {
            scanTar(file, scratchDir, r);
            return;
        }
        r.container = first;
        if (first == Container.UNKNOWN) {
            r.mismatch(head);
            return;
        }
        r.mismatch(null);
        ByteSource src = r.compression == Compression.NONE ? ByteSource.of(FileChannel.open(file))
                : new SpoolSource(r.compression.decode(Files.newInputStream(file)), scratchDir);
        try (src) {
            if (first == Container.RAW_DISK) {
                inspectDisk(src, r);
            } else {
                inspectFilesystem(src, 0, probe(head), r);
            }
            finish(src, r);
        }
    }

    /** Reads a spooled stream to its end (checking it is complete) and compares the size with what was needed. */
    private static void finish(ByteSource src, Result r) throws IOException {
        long size = src instanceof SpoolSource s ? s.drain() : src.size();
        r.contentBytes = size;
        if (size >= 0 && r.requiredEnd > size && !r.truncated) {
            r.truncated = true;
            r.findings.add(Finding.error(Finding.Kind.TRUNCATED, "the disk image is " + size + " bytes but its "
                    + r.requiredWhat + " ends at byte " + r.requiredEnd + ": the upload looks truncated; send the whole image"));
        }
    }

    private static void scanTar(Path file, Path scratchDir, Result r) throws IOException {
        TarRoot root = new TarRoot();
        int regular = 0;
        Container member = null;
        String memberName = "";
        try (InputStream in = r.compression.decode(Files.newInputStream(file));
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                boolean wanted = root.add(e);
                if (!e.isFile() || e.isLink()) {
                    continue;
                }
                regular++;
                if (regular == 1) {
                    memberName = e.getName();
                    try (SpoolSource spool = new SpoolSource(new Unclosable(tar), scratchDir)) {
                        ByteBuffer head = spool.readUpTo(0, HEAD);
                        member = classify(head);
                        if (member == Container.RAW_DISK) {
                            inspectDisk(spool, r);
                            finish(spool, r);
                            r.contentBytes = e.getSize();
                        } else if (wanted) {
                            byte[] b = new byte[Math.min(head.remaining(), OS_RELEASE_MAX)];
                            head.get(0, b);
                            root.content(e.getName(), b);
                        }
                    }
                } else if (wanted) {
                    root.content(e.getName(), tar.readNBytes(OS_RELEASE_MAX));
                }
            }
        } catch (IOException | RuntimeException e) {
            r.container = Container.TAR_OTHER;
            r.problem(e, "the tar archive");
            return;
        }
        if (regular == 1 && member == Container.RAW_DISK) {
            r.container = Container.TAR_DISK;
            r.detail = " (" + memberName + ")";
        } else {
            r.clearDisk();
            if (root.looksLikeRoot()) {
                r.container = Container.TAR_ROOT;
                r.rootPartition = 0;
                r.rootFound = true;
                examine(root, r);
            } else {
                r.container = Container.TAR_OTHER;
                r.detail = regular == 1 && member != null ? " (its one file " + memberName + " is " + article(member.description()) + ")"
                        : " (" + regular + " files)";
            }
        }
        r.mismatch(null);
    }

    private static void inspectDisk(ByteSource src, Result r) throws IOException {
        PartitionTable table;
        try {
            table = PartitionTable.read((position, length) -> src.readUpTo(position, length));
        } catch (IOException | RuntimeException e) {
            r.problem(e, "the partition table");
            return;
        }
        r.scheme = table.scheme();
        List<String> unreadable = new ArrayList<>();
        for (PartitionTable.Partition p : table.partitions()) {
            String t = p.type();
            if (t.equals("05") || t.equals("0f") || t.equals("85") || t.equals(BIOS_BOOT)) {
                r.partitions.add(new Inspection.PartitionInfo(p.number(), p.offset(), p.length(), t, "none"));
                continue;
            }
            ByteSource part = src.window(p.offset(), p.length());
            ByteBuffer head = part.readUpTo(0, HEAD);
            if (head.remaining() == 0) {
                r.partitions.add(new Inspection.PartitionInfo(p.number(), p.offset(), p.length(), t, "unread"));
                r.need(p.offset() + 1, "partition " + p.number());
                continue;
            }
            String fs = probe(head);
            r.partitions.add(new Inspection.PartitionInfo(p.number(), p.offset(), p.length(), t, fs));
            if (fs.startsWith("ext")) {
                if (!r.rootFound) {
                    inspectFilesystem(part, p.number(), fs, r);
                    if (r.truncated) {
                        return;
                    }
                }
            } else if (List.of("xfs", "btrfs", "LVM2_member", "crypto_LUKS", "squashfs", "none").contains(fs)) {
                unreadable.add("partition " + p.number() + " (" + (fs.equals("none") ? "unrecognised" : fs) + ")");
            }
        }
        if (!r.rootFound && !unreadable.isEmpty()) {
            r.findings.add(Finding.warning(Finding.Kind.UNREADABLE_FILESYSTEM, "unreadable filesystem type in "
                    + String.join(", ", unreadable) + ": inspection reads ext2/3/4 only, so cloud-init, netplan and"
                    + " os-release were not checked"));
        }
    }

    /** Reads one ext filesystem; makes it the root when it has os-release or /curtin. */
    private static void inspectFilesystem(ByteSource part, int number, String fs, Result r) throws IOException {
        String where = number == 0 ? "the filesystem" : "partition " + number + " (" + fs + ")";
        if (!fs.startsWith("ext")) {
            r.findings.add(Finding.warning(Finding.Kind.UNREADABLE_FILESYSTEM, "unreadable filesystem type "
                    + (fs.equals("none") ? "(unrecognised)" : fs) + " in " + where
                    + ": inspection reads ext2/3/4 only, so cloud-init, netplan and os-release were not checked"));
            return;
        }
        try {
            Ext4Reader ext = new Ext4Reader(part);
            r.need(offsetOf(r, number) + ext.declaredSize(), where + " filesystem");
            RootFs root = RootFs.of(ext);
            boolean isRoot = root.isFile("/etc/os-release") || root.isFile("/usr/lib/os-release") || root.isDir("/curtin");
            if (isRoot) {
                r.rootPartition = number;
                r.rootFound = true;
                examine(root, r);
            }
        } catch (Ext4Reader.NotExt4Exception e) {
            r.findings.add(Finding.warning(Finding.Kind.UNREADABLE_FILESYSTEM, where + " could not be read: "
                    + e.getMessage() + "; cloud-init, netplan and os-release were not checked there"));
        } catch (TruncatedImageException | DamagedStreamException e) {
            r.problem(e, where);
        } catch (IOException | RuntimeException e) {
            r.findings.add(Finding.warning(Finding.Kind.CORRUPT, where + " could not be read (" + e.getMessage()
                    + "); cloud-init, netplan and os-release were not checked there"));
        }
    }

    private static long offsetOf(Result r, int number) {
        for (Inspection.PartitionInfo p : r.partitions) {
            if (p.number() == number) {
                return p.offset();
            }
        }
        return 0;
    }

    private static void examine(RootFs root, Result r) throws IOException {
        r.cloudInit = root.isFile("/usr/bin/cloud-init") || root.isFile("/usr/local/bin/cloud-init");
        r.netplan = root.isFile("/usr/sbin/netplan") || root.isFile("/usr/bin/netplan")
                || root.isFile("/usr/libexec/netplan/generate") || root.isFile("/lib/netplan/generate");
        r.curtinHooks = root.isFile("/curtin/curtin-hooks");
        r.curtinDir = root.isDir("/curtin");
        Optional<byte[]> os = root.read("/etc/os-release", OS_RELEASE_MAX);
        if (os.isEmpty()) {
            os = root.read("/usr/lib/os-release", OS_RELEASE_MAX);
        }
        r.osRelease = os.map(b -> Inspection.OsRelease.parse(new String(b, StandardCharsets.UTF_8))).orElse(null);
    }

    /** What the start of decompressed content is; {@link Container#TAR_OTHER} stands for "some tar" here. */
    static Container classify(ByteBuffer head) {
        int len = head.remaining();
        if (len == 0) {
            return Container.EMPTY;
        }
        if (len >= 262 && ascii(head, 257, 5).equals("ustar")) {
            return Container.TAR_OTHER;
        }
        if (len >= 520 && ascii(head, 512, 8).equals("EFI PART")) {
            return Container.RAW_DISK;
        }
        if (!probe(head).equals("none")) {
            return Container.FILESYSTEM;
        }
        if (len >= 512 && (head.get(510) & 0xff) == 0x55 && (head.get(511) & 0xff) == 0xaa) {
            return Container.RAW_DISK;
        }
        return Container.UNKNOWN;
    }

    /** The filesystem whose signature starts {@code head} (the first bytes of a partition), or {@code none}. */
    static String probe(ByteBuffer head) {
        int len = head.remaining();
        if (len >= 1024 + 104 && (head.getShort(1024 + 56) & 0xffff) == 0xef53) {
            int compat = head.getInt(1024 + 92);
            int incompat = head.getInt(1024 + 96);
            return (incompat & (0x40 | 0x80 | 0x200)) != 0 ? "ext4" : (compat & 0x4) != 0 ? "ext3" : "ext2";
        }
        if (len >= 4 && ascii(head, 0, 4).equals("XFSB")) {
            return "xfs";
        }
        if (len >= 0x10048 && ascii(head, 0x10040, 8).equals("_BHRfS_M")) {
            return "btrfs";
        }
        if (len >= 4 && ascii(head, 0, 4).equals("hsqs")) {
            return "squashfs";
        }
        if (len >= 6 && ascii(head, 0, 4).equals("LUKS") && (head.get(4) & 0xff) == 0xba && (head.get(5) & 0xff) == 0xbe) {
            return "crypto_LUKS";
        }
        if (len >= 520 && ascii(head, 512, 8).equals("LABELONE")) {
            return "LVM2_member";
        }
        if (len >= 4096 && (ascii(head, 4086, 10).equals("SWAPSPACE2") || ascii(head, 4086, 10).equals("SWAP-SPACE"))) {
            return "swap";
        }
        if (len >= 11 && ascii(head, 3, 8).equals("NTFS    ")) {
            return "ntfs";
        }
        if (len >= 512 && (head.get(510) & 0xff) == 0x55 && (head.get(511) & 0xff) == 0xaa
                && (ascii(head, 0x36, 3).equals("FAT") || ascii(head, 0x52, 5).equals("FAT32"))) {
            return "vfat";
        }
        if (len >= 0x8006 && ascii(head, 0x8001, 5).equals("CD001")) {
            return "iso9660";
        }
        return "none";
    }

    private static String ascii(ByteBuffer b, int at, int n) {
        byte[] s = new byte[n];
        b.get(at, s);
        return new String(s, StandardCharsets.ISO_8859_1);
    }

    /** The compression and container each filetype promises. */
    static Compression expectedCompression(ImageFiletype t) {
        return switch (t) {
            case DDRAW, DDTAR -> Compression.NONE;
            case DDGZ, DDTGZ, TGZ -> Compression.GZIP;
            case DDXZ, DDTXZ, TXZ -> Compression.XZ;
            case DDBZ2, DDTBZ, TBZ -> Compression.BZIP2;
            case DDZST -> Compression.ZSTD;
        };
    }

    static Container expectedContainer(ImageFiletype t) {
        return switch (t) {
            case DDRAW, DDGZ, DDXZ, DDBZ2, DDZST -> Container.RAW_DISK;
            case DDTAR, DDTGZ, DDTXZ, DDTBZ -> Container.TAR_DISK;
            case TGZ, TXZ, TBZ -> Container.TAR_ROOT;
        };
    }

    /** The filetype content of this shape should be sent as, if there is one. */
    static Optional<ImageFiletype> filetypeFor(Compression c, Container k) {
        for (ImageFiletype t : ImageFiletype.values()) {
            if (expectedCompression(t) == c && expectedContainer(t) == k) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    static String describe(Compression c, Container k) {
        if (k == Container.UNKNOWN) {
            return k.description();
        }
        if (k == Container.EMPTY) {
            return article(k.description());
        }
        return (c == Compression.NONE ? "an uncompressed " : article(name(c)) + "-compressed ") + k.description();
    }

    private static String name(Compression c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    private static String article(String s) {
        return ("aeiou".indexOf(s.charAt(0)) >= 0 ? "an " : "a ") + s;
    }

    private static String advice(Compression c, Container k) {
        Optional<ImageFiletype> t = filetypeFor(c, k);
        if (t.isPresent()) {
            return "send it as filetype=" + t.get().uploadName();
        }
        return switch (k) {
            case RAW_DISK -> name(c) + " is not an upload compression: send the disk image uncompressed as"
                    + " filetype=ddraw, or compressed with xz as filetype=ddxz or with gzip as filetype=ddgz";
            case TAR_DISK -> "repack it as a gzip-compressed tar (filetype=ddtgz) or send the disk image itself as"
                    + " filetype=ddraw";
            case TAR_ROOT -> "compress it with gzip and send it as filetype=tgz (xz: txz, bzip2: tbz)";
            case FILESYSTEM -> "a filesystem without a partition table cannot be written to a disk and booted: build a"
                    + " partitioned disk image (GPT or MBR, with a boot loader) and send it as filetype=ddraw, ddgz or ddxz";
            case TAR_OTHER -> "a disk image tar must hold exactly one raw disk image and a root tarball must hold etc/"
                    + " and usr/: send a raw disk image as filetype=ddraw or a root filesystem tarball as filetype=tgz";
            case EMPTY, UNKNOWN -> "send a raw disk image (filetype=ddraw, or compressed: ddgz, ddxz, ddbz2), a tar"
                    + " holding one (ddtar, ddtgz, ddtbz, ddtxz) or a root filesystem tarball (tgz, tbz, txz)";
        };
    }

    /** Hands the current tar entry to a reader without letting it close the archive. */
    private static final class Unclosable extends FilterInputStream {
        Unclosable(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }

    /** The inspection while it is being gathered. */
    private static final class Result {
        final ImageFiletype declared;
        Compression compression = Compression.NONE;
        Container container = Container.UNKNOWN;
        String detail = "";
        long contentBytes = -1;
        String scheme = "none";
        final List<Inspection.PartitionInfo> partitions = new ArrayList<>();
        int rootPartition = -1;
        boolean rootFound;
        boolean cloudInit;
        boolean netplan;
        boolean curtinHooks;
        boolean curtinDir;
        Inspection.OsRelease osRelease;
        final List<Finding> findings = new ArrayList<>();
        boolean truncated;
        boolean damaged;
        long requiredEnd;
        String requiredWhat = "";

        Result(ImageFiletype declared) {
            this.declared = declared;
        }

        void need(long end, String what) {
            if (end > requiredEnd) {
                requiredEnd = end;
                requiredWhat = what;
            }
        }

        void clearDisk() {
            scheme = "none";
            partitions.clear();
            rootPartition = -1;
            rootFound = cloudInit = netplan = curtinHooks = curtinDir = false;
            osRelease = null;
            findings.removeIf(f -> f.kind() == Finding.Kind.UNREADABLE_FILESYSTEM);
            requiredEnd = 0;
        }

        void mismatch(ByteBuffer head) {
            if (damaged || truncated) {
                return;
            }
            if (container == Container.UNKNOWN || container == Container.EMPTY) {
                String bytes = "";
                if (head != null && head.remaining() > 0) {
                    StringBuilder sb = new StringBuilder(" (first bytes:");
                    for (int i = 0; i < Math.min(8, head.remaining()); i++) {
                        sb.append(String.format(" %02x", head.get(i)));
                    }
                    bytes = sb.append(')').toString();
                }
                String what = compression == Compression.NONE ? describe(compression, container)
                        : article(name(compression)) + " stream holding " + describe(Compression.NONE, container)
                                .replace("an uncompressed ", "");
                findings.add(Finding.error(Finding.Kind.UNRECOGNISED_CONTENT, "filetype " + declared.uploadName()
                        + " declares " + describe(expectedCompression(declared), expectedContainer(declared))
                        + ", but the content is " + what + bytes + ": " + advice(compression, container)));
                return;
            }
            if (compression != expectedCompression(declared) || container != expectedContainer(declared)) {
                findings.add(Finding.error(Finding.Kind.FILETYPE_MISMATCH, "filetype " + declared.uploadName()
                        + " declares " + describe(expectedCompression(declared), expectedContainer(declared))
                        + ", but the content is " + describe(compression, container) + detail + ": "
                        + advice(compression, container)));
            }
        }

        void problem(Exception e, String where) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof TruncatedImageException || e instanceof EOFException
                    || e.getCause() instanceof EOFException) {
                if (!truncated) {
                    truncated = true;
                    findings.add(Finding.error(Finding.Kind.TRUNCATED, where + " ends early (" + msg
                            + "): the upload looks truncated; send the whole image"));
                }
            } else if (!damaged) {
                damaged = true;
                findings.add(Finding.error(Finding.Kind.CORRUPT, where + " is damaged and could not be read ("
                        + msg + "): check the image and upload it again"));
            }
        }

        Inspection build() {
            return new Inspection(declared, compression, container, describe(compression, container).replaceFirst("^an? ", "") + detail,
                    contentBytes, scheme, partitions, rootPartition, rootFound, cloudInit, netplan, curtinHooks,
                    curtinDir, osRelease, findings);
        }
    }
}
