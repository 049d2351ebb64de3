package io.metalcast.curtin.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Reads files of an ext2/3/4 filesystem from a {@link ByteSource}, without mounting: superblock, group descriptors
 * (32 and 64 bit), inodes, extent trees and the older indirect block maps, directories read linearly (htree leaf blocks
 * hold ordinary entries), fast and slow symlinks. Read-only and meant for a few small lookups, not for bulk reads.
 */
final class Ext4Reader {
    static final int ROOT_INODE = 2;

    private static final int INCOMPAT_FILETYPE = 0x2;
    private static final int INCOMPAT_META_BG = 0x10;
    private static final int INCOMPAT_64BIT = 0x80;
    private static final int FL_EXTENTS = 0x80000;
    private static final int FL_INLINE_DATA = 0x10000000;
    private static final int S_IFMT = 0xf000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFREG = 0x8000;
    static final int S_IFLNK = 0xa000;
    private static final int MAX_SYMLINKS = 40;
    private static final long MAX_DIR_BYTES = 64L << 20;

    private final ByteSource fs;
    private final int blockSize;
    private final long blocksCount;
    private final long inodesCount;
    private final long inodesPerGroup;
    private final int inodeSize;
    private final int descSize;
    private final long gdtBlock;
    private final boolean fileType;

    /** Thrown when the bytes are not an ext filesystem this reader understands. */
    static final class NotExt4Exception extends IOException {
        NotExt4Exception(String message) {
            super(message);
        }
    }

    /** An inode: its type bits, size, flags and block map. */
    record Inode(long number, int mode, long size, int flags, long blocks, byte[] iblock) {
        boolean isDir() {
            return (mode & S_IFMT) == S_IFDIR;
        }

        boolean isRegular() {
            return (mode & S_IFMT) == S_IFREG;
        }

        boolean isSymlink() {
            return (mode & S_IFMT) == S_IFLNK;
        }
    }

    Ext4Reader(ByteSource fs) throws IOException {
        this.fs = fs;
        ByteBuffer sb = fs.readFully(1024, 1024);
        if ((sb.getShort(56) & 0xffff) != 0xef53) {
            throw new NotExt4Exception("no ext superblock magic");
        }
        int log = sb.getInt(24);
        if (log < 0 || log > 6) {
            throw new NotExt4Exception("s_log_block_size: " + log + " (expected: 0..6)");
        }
        blockSize = 1024 << log;
        int incompat = sb.getInt(96);
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        blocksCount = Integer.toUnsignedLong(sb.getInt(4)) | (is64 ? Integer.toUnsignedLong(sb.getInt(0x150)) << 32 : 0);
        inodesCount = Integer.toUnsignedLong(sb.getInt(0));
        inodesPerGroup = Integer.toUnsignedLong(sb.getInt(40));
        int rev = sb.getInt(76);
        inodeSize = rev == 0 ? 128 : sb.getShort(88) & 0xffff;
        descSize = is64 ? Math.max(32, sb.getShort(254) & 0xffff) : 32;
        long firstDataBlock = Integer.toUnsignedLong(sb.getInt(20));
        gdtBlock = firstDataBlock + 1;
        fileType = (incompat & INCOMPAT_FILETYPE) != 0;
        if (inodesPerGroup == 0 || inodeSize < 128 || inodeSize > blockSize || descSize > 1024) {
            throw new NotExt4Exception("superblock: inodes per group " + inodesPerGroup + ", inode size " + inodeSize
                    + ", descriptor size " + descSize);
        }
        if ((incompat & INCOMPAT_META_BG) != 0) {
            throw new NotExt4Exception("ext4 feature meta_bg is not supported");
        }
    }

    /** Bytes the filesystem claims to span. */
    long declaredSize() {
        return blocksCount * blockSize;
    }

    int blockSize() {
        return blockSize;
    }

    Inode inode(long number) throws IOException {
        if (number < 1 || number > inodesCount) {
            throw new IOException("inode " + number + " (expected: 1.." + inodesCount + ")");
        }
        long group = (number - 1) / inodesPerGroup;
        long index = (number - 1) % inodesPerGroup;
        ByteBuffer gd = fs.readFully(gdtBlock * blockSize + group * descSize, descSize);
        long table = Integer.toUnsignedLong(gd.getInt(8)) | (descSize >= 64 ? Integer.toUnsignedLong(gd.getInt(0x28)) << 32 : 0);
        ByteBuffer in = fs.readFully(table * blockSize + index * inodeSize, 128);
        int mode = in.getShort(0) & 0xffff;
        long size = Integer.toUnsignedLong(in.getInt(4)) | Integer.toUnsignedLong(in.getInt(0x6c)) << 32;
        int flags = in.getInt(0x20);
        long blocks = Integer.toUnsignedLong(in.getInt(0x1c));
        byte[] iblock = new byte[60];
        in.get(0x28, iblock);
        return new Inode(number, mode, size, flags, blocks, iblock);
    }

    /** The physical block holding logical block {@code logical} of the file, 0 for a hole. */
    long map(Inode inode, long logical) throws IOException {
        if ((inode.flags() & FL_EXTENTS) != 0) {
            return mapExtent(ByteBuffer.wrap(inode.iblock()).order(java.nio.ByteOrder.LITTLE_ENDIAN), logical, 0);
        }
        return mapIndirect(inode, logical);
    }

    private long mapExtent(ByteBuffer node, long logical, int level) throws IOException {
        if ((node.getShort(0) & 0xffff) != 0xf30a || level > 8) {
            throw new IOException("bad extent header");
        }
        int entries = node.getShort(2) & 0xffff;
        int depth = node.getShort(6) & 0xffff;
        if (12 + entries * 12 > node.limit()) {
            throw new IOException("extent node: " + entries + " entries do not fit");
        }
        if (depth == 0) {
            for (int i = 0; i < entries; i++) {
                int e = 12 + i * 12;
                long first = Integer.toUnsignedLong(node.getInt(e));
                int len = node.getShort(e + 4) & 0xffff;
                boolean unwritten = len > 32768;
                if (unwritten) {
                    len -= 32768;
                }
                if (logical >= first && logical < first + len) {
                    if (unwritten) {
                        return 0;
                    }
                    long start = (long) (node.getShort(e + 6) & 0xffff) << 32 | Integer.toUnsignedLong(node.getInt(e + 8));
                    return start + (logical - first);
                }
            }
            return 0;
        }
        long child = -1;
        for (int i = 0; i < entries; i++) {
            int e = 12 + i * 12;
            if (Integer.toUnsignedLong(node.getInt(e)) <= logical) {
                child = (long) (node.getShort(e + 8) & 0xffff) << 32 | Integer.toUnsignedLong(node.getInt(e + 4));
            } else {
                break;
            }
        }
        if (child < 0) {
            return 0;
        }
        return mapExtent(fs.readFully(child * blockSize, blockSize), logical, level + 1);
    }

    private long mapIndirect(Inode inode, long logical) throws IOException {
        ByteBuffer ib = ByteBuffer.wrap(inode.iblock()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long per = blockSize / 4;
        if (logical < 12) {
            return Integer.toUnsignedLong(ib.getInt((int) logical * 4));
        }
        logical -= 12;
        int slot;
        int levels;
        if (logical < per) {
            slot = 12;
            levels = 1;
        } else if ((logical -= per) < per * per) {
            slot = 13;
            levels = 2;
        } else {
            logical -= per * per;
            slot = 14;
            levels = 3;
        }
        long block = Integer.toUnsignedLong(ib.getInt(slot * 4));
        for (int l = levels - 1; l >= 0 && block != 0; l--) {
            long span = 1;
            for (int k = 0; k < l; k++) {
                span *= per;
            }
            long index = logical / span;
            logical %= span;
            block = Integer.toUnsignedLong(fs.readFully(block * blockSize + index * 4, 4).getInt(0));
        }
        return block;
    }

    /** Up to {@code max} bytes of the file's content. */
    byte[] read(Inode inode, int max) throws IOException {
        int length = (int) Math.min(inode.size(), max);
        byte[] out = new byte[length];
        if ((inode.flags() & FL_INLINE_DATA) != 0) {
            System.arraycopy(inode.iblock(), 0, out, 0, Math.min(length, 60));
            return out;
        }
        for (int done = 0; done < length; ) {
            long logical = done / blockSize;
            int n = Math.min(blockSize, length - done);
            long phys = map(inode, logical);
            if (phys != 0) {
                if (phys >= blocksCount) {
                    throw new IOException("inode " + inode.number() + ": block " + phys + " beyond the filesystem's " + blocksCount);
                }
                ByteBuffer b = fs.readFully(phys * blockSize, n);
                b.get(0, out, done, n);
            }
            done += n;
        }
        return out;
    }

    /** The inode number {@code name} has in directory {@code dir}, or 0. */
    long lookup(Inode dir, String name) throws IOException {
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        if ((dir.flags() & FL_INLINE_DATA) != 0) {
            return 0; // inline directories are rare (mkfs does not enable inline_data); treated as not found
        }
        long size = Math.min(dir.size(), MAX_DIR_BYTES);
        for (long logical = 0; logical * blockSize < size; logical++) {
            long phys = map(dir, logical);
            if (phys == 0 || phys >= blocksCount) {
                continue;
            }
            ByteBuffer b = fs.readFully(phys * blockSize, blockSize);
            int at = 0;
            while (at + 8 <= blockSize) {
                long ino = Integer.toUnsignedLong(b.getInt(at));
                int recLen = b.getShort(at + 4) & 0xffff;
                int nameLen = fileType ? b.get(at + 6) & 0xff : b.getShort(at + 6) & 0xffff;
                if (recLen < 8 || at + recLen > blockSize) {
                    break;
                }
                if (ino != 0 && nameLen == want.length && at + 8 + nameLen <= blockSize && matches(b, at + 8, want)) {
                    return ino;
                }
                at += recLen;
            }
        }
        return 0;
    }

    private static boolean matches(ByteBuffer b, int at, byte[] want) {
        for (int i = 0; i < want.length; i++) {
            if (b.get(at + i) != want[i]) {
                return false;
            }
        }
        return true;
    }

    String symlinkTarget(Inode link) throws IOException {
        byte[] target;
        boolean fast = link.size() < 60 && (link.flags() & (FL_EXTENTS | FL_INLINE_DATA)) == 0;
        if (fast || (link.size() < 60 && link.blocks() == 0)) {
            target = java.util.Arrays.copyOf(link.iblock(), (int) link.size());
        } else {
            target = read(link, 4096);
        }
        return new String(target, StandardCharsets.UTF_8);
    }

    /**
     * The inode an absolute path names, following symlinks (absolute ones from this filesystem's root, as they would
     * resolve once it is the root); empty when some component does not exist.
     */
    Optional<Inode> resolve(String path) throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        push(todo, path);
        Inode cur = inode(ROOT_INODE);
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (!cur.isDir()) {
                return Optional.empty();
            }
            long n = lookup(cur, part);
            if (n == 0) {
                return Optional.empty();
            }
            Inode next = inode(n);
            if (next.isSymlink()) {
                if (++links > MAX_SYMLINKS) {
                    return Optional.empty();
                }
                String target = symlinkTarget(next);
                if (target.startsWith("/")) {
                    cur = inode(ROOT_INODE);
                }
                push(todo, target);
                continue;
            }
            cur = next;
        }
        return Optional.of(cur);
    }

    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty() && !parts[i].equals(".")) {
                todo.push(parts[i]);
            }
        }
    }
}
