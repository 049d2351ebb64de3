package io.metalcast.curtin.image;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lists an initramfs as the kernel unpacks it: concatenated newc cpio archives ({@code 070701}/{@code 070702}), each
 * segment plain or compressed (gzip, xz, zstd, bzip2, lz4 frame or lz4 legacy), with zero padding between them; a
 * compressed segment runs to the end of the file. Reports whether the rooturl, copymods and overlayroot scripts and
 * the squashfs module are there. Streams the file once; blocking, so call it on an executor.
 */
public final class InitramfsScanner {
    private static final int ORDER_MAX = 65536;
    private static final String ROOTURL = "scripts/local-top/rooturl";
    private static final String COPYMODS = "scripts/init-bottom/copymods";
    private static final String OVERLAYROOT = "scripts/init-bottom/overlayroot";

    private InitramfsScanner() {
    }

    /** Scans {@code initrd}; damage becomes a finding, only a file that cannot be opened throws. */
    public static InitramfsReport scan(Path initrd) throws IOException {
        State s = new State();
        try (InputStream file = Files.newInputStream(initrd)) {
            Cursor c = new Cursor(new BufferedInputStream(file, 1 << 16));
            while (c.skipZeros()) {
                byte[] m = c.peek(Compression.MAGIC_BYTES);
                if (m.length >= 5 && new String(m, 0, 5, StandardCharsets.US_ASCII).equals("07070")) {
                    s.segments.add("cpio");
                    readArchive(c, s);
                    continue;
                }
                boolean legacy = m.length >= 4 && (m[0] & 0xff) == 0x02 && (m[1] & 0xff) == 0x21
                        && (m[2] & 0xff) == 0x4c && (m[3] & 0xff) == 0x18;
                Compression comp = Compression.detect(m, m.length);
                if (!legacy && comp == Compression.NONE) {
                    s.unreadable("unrecognised data at byte " + c.position + " (neither cpio nor a known compression)");
                    break;
                }
                String name = legacy ? "lz4-legacy" : comp.name().toLowerCase(Locale.ROOT);
                s.segments.add(name + "+cpio");
                InputStream decoded;
                if (legacy) {
                    c.in.skipNBytes(4);
                    decoded = new LegacyLz4InputStream(c.in);
                } else {
                    decoded = comp.decode(c.in);
                }
                Cursor inner = new Cursor(decoded);
                while (inner.skipZeros()) {
                    readArchive(inner, s);
                }
                break; // a decoder reads ahead, so where its stream ended is unknown: it runs to the end of the file
            }
        } catch (EOFException e) {
            s.unreadable("it ends in the middle of an entry (" + e.getMessage() + "): truncated");
        } catch (IOException | RuntimeException e) {
            s.unreadable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        return s.report();
    }

    /** One cpio archive, from its first header through {@code TRAILER!!!} or the end of the stream. */
    private static void readArchive(Cursor c, State s) throws IOException {
        while (true) {
            byte[] h = c.readFully(110);
            String magic = new String(h, 0, 6, StandardCharsets.US_ASCII);
            if (!magic.equals("070701") && !magic.equals("070702")) {
                throw new IOException("cpio header magic: " + magic.replaceAll("[^ -~]", "?") + " at byte "
                        + (c.position - 110) + " (expected: 070701 or 070702)");
            }
            long fileSize = hex(h, 54);
            int nameSize = (int) hex(h, 94);
            if (nameSize < 1 || nameSize > 4096) {
                throw new IOException("cpio name size: " + nameSize + " (expected: 1..4096)");
            }
            byte[] nameBytes = c.readFully(nameSize);
            c.align();
            String name = normalise(new String(nameBytes, 0, nameSize - 1, StandardCharsets.UTF_8));
            if (name.equals("TRAILER!!!")) {
                return;
            }
            s.entries++;
            s.entry(name);
            if (name.startsWith("scripts/") && name.endsWith("/ORDER") && fileSize <= ORDER_MAX) {
                s.order(name, new String(c.readFully((int) fileSize), StandardCharsets.UTF_8));
            } else {
                c.skip(fileSize);
            }
            c.align();
        }
    }

    private static long hex(byte[] h, int at) throws IOException {
        String s = new String(h, at, 8, StandardCharsets.US_ASCII);
        try {
            return Long.parseLong(s, 16);
        } catch (NumberFormatException e) {
            throw new IOException("cpio header field: " + s.replaceAll("[^ -~]", "?") + " (expected: 8 hex digits)");
        }
    }

    private static String normalise(String name) {
        while (name.startsWith("./") || name.startsWith("/")) {
            name = name.substring(name.startsWith("/") ? 1 : 2);
        }
        return name;
    }

    /** A stream with a byte position (alignment in cpio is counted from the start of each stream) and a peek. */
    private static final class Cursor {
        final PushbackInputStream in;
        long position;

        Cursor(InputStream in) {
            this.in = new PushbackInputStream(in, 16);
        }

        /** Skips zero padding; false at the end of the stream. */
        boolean skipZeros() throws IOException {
            int b;
            while ((b = in.read()) == 0) {
                position++;
            }
            if (b < 0) {
                return false;
            }
            in.unread(b);
            return true;
        }

        byte[] peek(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            in.unread(b);
            return b;
        }

        byte[] readFully(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            position += b.length;
            if (b.length < n) {
                throw new EOFException("wanted " + n + " bytes at byte " + (position - b.length) + ", got " + b.length);
            }
            return b;
        }

        void skip(long n) throws IOException {
            in.skipNBytes(n);
            position += n;
        }

        void align() throws IOException {
            int pad = (int) ((4 - (position & 3)) & 3);
            if (pad > 0) {
                readFully(pad);
            }
        }
    }

    private static final class State {
        final List<String> segments = new ArrayList<>();
        final List<Finding> findings = new ArrayList<>();
        int entries;
        boolean rooturl;
        boolean copymods;
        boolean overlayroot;
        boolean squashfs;
        String localTopOrder = "";
        String initBottomOrder = "";

        void entry(String name) {
            switch (name) {
                case ROOTURL -> rooturl = true;
                case COPYMODS -> copymods = true;
                case OVERLAYROOT -> overlayroot = true;
                default -> {
                    int i = name.indexOf("kernel/fs/squashfs/squashfs.ko");
                    if (i >= 0 && (i == 0 || name.charAt(i - 1) == '/')) {
                        squashfs = true;
                    }
                }
            }
        }

        void order(String name, String content) {
            if (name.equals("scripts/local-top/ORDER")) {
                localTopOrder += content;
            } else if (name.equals("scripts/init-bottom/ORDER")) {
                initBottomOrder += content;
            }
        }

        void unreadable(String why) {
            findings.add(Finding.warning(Finding.Kind.INITRAMFS_UNREADABLE, "the initramfs could not be read to its"
                    + " end: " + why));
        }

        private static boolean ordered(String order, String script) {
            for (String line : order.split("\n")) {
                String first = line.strip().split("\\s+")[0];
                if (first.equals("/" + script) || first.equals(script)) {
                    return true;
                }
            }
            return false;
        }

        InitramfsReport report() {
            boolean rooturlOrdered = ordered(localTopOrder, ROOTURL);
            boolean copymodsOrdered = ordered(initBottomOrder, COPYMODS);
            boolean overlayrootOrdered = ordered(initBottomOrder, OVERLAYROOT);
            script(rooturl, rooturlOrdered, ROOTURL, "rooturl script missing: this initramfs cannot boot root=squash:URL;"
                    + " rebuild it with cloud-initramfs-rooturl");
            script(copymods, copymodsOrdered, COPYMODS, "copymods script missing: the deployed root will not see the"
                    + " initramfs's kernel modules; rebuild it with cloud-initramfs-copymods");
            script(overlayroot, overlayrootOrdered, OVERLAYROOT, "overlayroot script missing: the ephemeral root"
                    + " cannot get a writable tmpfs layer; rebuild it with overlayroot");
            if (!squashfs) {
                findings.add(Finding.warning(Finding.Kind.INITRAMFS_MODULE_MISSING, "squashfs module"
                        + " (kernel/fs/squashfs/squashfs.ko*) not found: rooturl cannot mount the squashfs unless the"
                        + " kernel has squashfs built in"));
            }
            return new InitramfsReport(segments, entries, rooturl, rooturlOrdered, copymods, copymodsOrdered,
                    overlayroot, overlayrootOrdered, squashfs, findings);
        }

        private void script(boolean present, boolean ordered, String path, String missing) {
            if (!present) {
                findings.add(Finding.warning(Finding.Kind.INITRAMFS_SCRIPT_MISSING, missing));
            } else if (!ordered) {
                String dir = path.substring(0, path.lastIndexOf('/'));
                findings.add(Finding.warning(Finding.Kind.INITRAMFS_SCRIPT_MISSING, path + " is present but not named"
                        + " in " + dir + "/ORDER, so it never runs: rebuild the initramfs with update-initramfs"));
            }
        }
    }
}
