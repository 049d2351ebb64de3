package io.metalcast.curtin.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The partitions of a disk image as its MBR or GPT describes them (512-byte sectors; MBR primary entries, then the
 * logical partitions of an extended partition numbered from 5 as the kernel does). Used to reach partitions when the
 * kernel does not expose them (a kernel without partition support, or a plain file), and by image inspection.
 *
 * @param scheme     {@code dos}, {@code gpt} or {@code none}
 * @param partitions in table order, empty entries left out
 */
public record PartitionTable(String scheme, List<Partition> partitions) {
    public static final int SECTOR = 512;

    public PartitionTable {
        Objects.requireNonNull(scheme, "scheme");
        partitions = List.copyOf(partitions);
    }

    /**
     * One partition.
     *
     * @param number 1-based number, as the kernel would name it ({@code sda1})
     * @param offset start in bytes from the start of the disk
     * @param length length in bytes
     * @param type   MBR type byte as two hex digits, or the GPT type GUID
     */
    public record Partition(int number, long offset, long length, String type) {
        public Partition {
            if (number < 1) {
                throw new IllegalArgumentException("number: " + number + " (expected: >= 1)");
            }
            if (offset < 0 || length <= 0) {
                throw new IllegalArgumentException("partition " + number + ": offset " + offset + " length " + length
                        + " (expected: offset >= 0, length > 0)");
            }
            Objects.requireNonNull(type, "type");
        }
    }

    /** Reads the table at the start of {@code disk}; a disk with no valid MBR signature yields scheme {@code none}. */
    public static PartitionTable read(FileChannel disk) throws IOException {
        return read((position, length) -> readAt(disk, position, length));
    }

    /** Positional reads of a disk; a short buffer means the disk ends there. */
    interface Reader {
        ByteBuffer readAt(long position, int length) throws IOException;
    }

    static PartitionTable read(Reader disk) throws IOException {
        ByteBuffer mbr = little(disk.readAt(0, SECTOR));
        if (mbr.remaining() < SECTOR || (mbr.get(510) & 0xff) != 0x55 || (mbr.get(511) & 0xff) != 0xaa) {
            return new PartitionTable("none", List.of());
        }
        List<Partition> parts = new ArrayList<>();
        boolean protective = false;
        long extended = -1;
        for (int i = 0; i < 4; i++) {
            int e = 446 + 16 * i;
            int type = mbr.get(e + 4) & 0xff;
            long start = Integer.toUnsignedLong(mbr.getInt(e + 8));
            long sectors = Integer.toUnsignedLong(mbr.getInt(e + 12));
            if (type == 0xee) {
                protective = true;
            } else if (type != 0 && sectors > 0) {
                parts.add(new Partition(i + 1, start * SECTOR, sectors * SECTOR, String.format("%02x", type)));
                if ((type == 0x05 || type == 0x0f || type == 0x85) && extended < 0) {
                    extended = start;
                }
            }
        }
        if (protective) {
            return readGpt(disk);
        }
        if (extended >= 0) {
            readLogical(disk, extended, parts);
        }
        return new PartitionTable("dos", parts);
    }

    /** Follows the chain of extended boot records; each holds one logical partition and a link to the next. */
    private static void readLogical(Reader disk, long extendedStart, List<Partition> parts) throws IOException {
        long ebr = extendedStart;
        int number = 5;
        java.util.Set<Long> seen = new java.util.HashSet<>();
        while (seen.add(ebr) && number < 5 + 128) {
            ByteBuffer b = little(disk.readAt(ebr * SECTOR, SECTOR));
            if (b.remaining() < SECTOR || (b.get(510) & 0xff) != 0x55 || (b.get(511) & 0xff) != 0xaa) {
                return;
            }
            int type = b.get(446 + 4) & 0xff;
            long start = Integer.toUnsignedLong(b.getInt(446 + 8));
            long sectors = Integer.toUnsignedLong(b.getInt(446 + 12));
            if (type != 0 && sectors > 0) {
                parts.add(new Partition(number++, (ebr + start) * SECTOR, sectors * SECTOR, String.format("%02x", type)));
            }
            int nextType = b.get(462 + 4) & 0xff;
            long next = Integer.toUnsignedLong(b.getInt(462 + 8));
            if (nextType == 0 || next == 0) {
                return;
            }
            ebr = extendedStart + next;
        }
    }

    private static ByteBuffer little(ByteBuffer b) {
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static PartitionTable readGpt(Reader disk) throws IOException {
        ByteBuffer header = little(disk.readAt(SECTOR, SECTOR));
        byte[] sig = new byte[8];
        header.get(0, sig, 0, 8);
        if (header.remaining() < 92 || !"EFI PART".equals(new String(sig, java.nio.charset.StandardCharsets.US_ASCII))) {
            throw new IOException("protective MBR without a GPT header at LBA 1");
        }
        long entriesLba = header.getLong(72);
        int count = header.getInt(80);
        int entrySize = header.getInt(84);
        if (count < 0 || count > 1024 || entrySize < 128 || entrySize > 4096) {
            throw new IOException("GPT header: " + count + " entries of " + entrySize + " bytes (expected: <= 1024 of 128..4096)");
        }
        ByteBuffer entries = little(disk.readAt(entriesLba * SECTOR, count * entrySize));
        List<Partition> parts = new ArrayList<>();
        for (int i = 0; i < count && (i + 1) * entrySize <= entries.remaining(); i++) {
            int e = i * entrySize;
            long hi = entries.getLong(e);
            long lo = entries.getLong(e + 8);
            if (hi == 0 && lo == 0) {
                continue;
            }
            long first = entries.getLong(e + 32);
            long last = entries.getLong(e + 40);
            if (last >= first) {
                parts.add(new Partition(i + 1, first * SECTOR, (last - first + 1) * SECTOR, guid(entries, e)));
            }
        }
        return new PartitionTable("gpt", parts);
    }

    private static String guid(ByteBuffer b, int at) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = b.duplicate().order(ByteOrder.BIG_ENDIAN);
        StringBuilder tail = new StringBuilder();
        for (int i = 10; i < 16; i++) {
            tail.append(String.format("%02x", b.get(at + i)));
        }
        return String.format("%08x-%04x-%04x-%04x-%s", le.getInt(at), le.getShort(at + 4), le.getShort(at + 6),
                be.getShort(at + 8), tail);
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                break;
            }
        }
        return buf.flip().order(ByteOrder.LITTLE_ENDIAN);
    }
}
