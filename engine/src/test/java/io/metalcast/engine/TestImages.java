package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metalcast.curtin.image.ImageFiletype;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Real small disk images for upload tests, built with the real tools (mkfs.ext4 -d, sfdisk, gzip, xz, bzip2, zstd,
 * tar) as curtin's inspection tests build theirs: a root tree with os-release, cloud-init and netplan as an image of
 * that release has them, in a 1 MiB ext4 filesystem, on an MBR disk of 2 MiB (partition at 1 MiB). Each variant is
 * built once per instance; {@link #raw} and {@link #pack} make each upload's content distinct by random bytes after
 * the end of the disk (a raw image) or one extra file (a tar of the root).
 */
public final class TestImages {
    /** One image's root: its os-release and whether cloud-init and netplan are installed. */
    public record Variant(String id, String versionId, String codename, boolean cloudInit, boolean netplan) {
        public String key() {
            return id + "-" + versionId + "-" + codename + "-" + cloudInit + "-" + netplan;
        }
    }

    public static final Variant JAMMY = new Variant("ubuntu", "22.04", "jammy", true, true);
    public static final Variant NOBLE = new Variant("ubuntu", "24.04", "noble", true, true);
    public static final Variant JAMMY_NO_CLOUD_INIT = new Variant("ubuntu", "22.04", "jammy", false, true);
    public static final Variant JAMMY_NO_NETPLAN = new Variant("ubuntu", "22.04", "jammy", true, false);
    public static final Variant CENTOS8 = new Variant("centos", "8", "", true, false);
    public static final Variant CENTOS8_NO_CLOUD_INIT = new Variant("centos", "8", "", false, false);

    private final Path dir;
    private final Map<String, Path> trees = new HashMap<>();
    private final Map<String, byte[]> disks = new HashMap<>();

    /** Builds under {@code dir} (a temporary directory the test owns). */
    public TestImages(Path dir) {
        this.dir = dir;
    }

    /** The size of the bare disk, below which {@link #raw} cannot go. */
    public int diskSize() throws Exception {
        return disk(JAMMY).length;
    }

    /** The Ubuntu jammy disk followed by random bytes from {@code seed} up to exactly {@code size} bytes. */
    public byte[] raw(int size, long seed) throws Exception {
        return raw(JAMMY, size, seed);
    }

    /** A distinct Ubuntu jammy raw disk image, 64 bytes longer than the disk. */
    public byte[] raw(long seed) throws Exception {
        return raw(JAMMY, diskSize() + 64, seed);
    }

    public synchronized byte[] raw(Variant v, int size, long seed) throws Exception {
        byte[] disk = disk(v);
        if (size <= disk.length) {
            throw new IllegalArgumentException("size: " + size + " (expected: more than the disk's " + disk.length + " bytes)");
        }
        byte[] out = new byte[size];
        System.arraycopy(disk, 0, out, 0, disk.length);
        byte[] tail = new byte[size - disk.length];
        new Random(seed).nextBytes(tail);
        System.arraycopy(tail, 0, out, disk.length, tail.length);
        return out;
    }

    /** The content {@code type} should hold, made from the variant's disk or root tree; distinct per seed. */
    public synchronized byte[] pack(ImageFiletype type, Variant v, long seed) throws Exception {
        Path work = Files.createTempDirectory(dir, "pack-");
        try {
            Path disk = work.resolve("disk.img");
            Files.write(disk, raw(v, disk(v).length + 64, seed));
            Path extra = Files.createDirectories(work.resolve("extra"));
            Files.writeString(extra.resolve("seed"), Long.toString(seed));
            Path out = work.resolve("out");
            String d = "disk.img";
            String tarRoot = "tar -C '" + tree(v) + "' -cf - . -C '" + extra + "' seed";
            String tarDisk = "tar -cf - disk.img";
            sh(work, switch (type) {
                case DDRAW -> "cp " + d + " out";
                case DDGZ -> "gzip -c " + d + " > out";
                case DDXZ -> "xz -T1 -c " + d + " > out";
                case DDBZ2 -> "bzip2 -c " + d + " > out";
                case DDZST -> "zstd -q -c " + d + " > out";
                case DDTAR -> tarDisk + " > out";
                case DDTGZ -> tarDisk + " | gzip > out";
                case DDTXZ -> tarDisk + " | xz -T1 > out";
                case DDTBZ -> tarDisk + " | bzip2 > out";
                case TGZ -> tarRoot + " | gzip > out";
                case TXZ -> tarRoot + " | xz -T1 > out";
                case TBZ -> tarRoot + " | bzip2 > out";
            });
            return Files.readAllBytes(out);
        } finally {
            sh(dir, "rm -rf '" + work + "'");
        }
    }

    /** {@link #pack} of the Ubuntu jammy image. */
    public byte[] pack(ImageFiletype type, long seed) throws Exception {
        return pack(type, JAMMY, seed);
    }

    private byte[] disk(Variant v) throws Exception {
        byte[] known = disks.get(v.key());
        if (known != null) {
            return known;
        }
        Path tree = tree(v);
        Path fs = dir.resolve(v.key() + ".ext4");
        Path img = dir.resolve(v.key() + ".img");
        sh(dir, "mkfs.ext4 -q -F -N 64 -d '" + tree + "' '" + fs + "' 1M 2>/dev/null\n"
                + "truncate -s 2M '" + img + "'\n"
                + "printf 'label: dos\\nstart=2048, size=2048, type=83\\n' | sfdisk -q '" + img + "'\n"
                + "dd if='" + fs + "' of='" + img + "' bs=1M seek=1 conv=notrunc status=none\n"
                + "rm -f '" + fs + "'");
        byte[] bytes = Files.readAllBytes(img);
        Files.delete(img);
        disks.put(v.key(), bytes);
        return bytes;
    }

    private Path tree(Variant v) throws Exception {
        Path known = trees.get(v.key());
        if (known != null) {
            return known;
        }
        Path r = Files.createDirectories(dir.resolve("root-" + v.key()));
        StringBuilder s = new StringBuilder("mkdir -p usr/bin usr/sbin usr/lib etc curtin\n"
                + "ln -s usr/bin bin; ln -s usr/sbin sbin; ln -s usr/lib lib\n"
                + "printf 'PRETTY_NAME=\"T\"\\nNAME=\"T\"\\nID=" + v.id() + "\\nVERSION_ID=\"" + v.versionId() + "\"\\n"
                + (v.codename().isEmpty() ? "" : "VERSION_CODENAME=" + v.codename() + "\\n") + "' > usr/lib/os-release\n"
                + "ln -s ../usr/lib/os-release etc/os-release\n"
                + "printf '#!/bin/sh\\n' > curtin/curtin-hooks; chmod +x curtin/curtin-hooks\n");
        if (v.cloudInit()) {
            s.append("printf '#!/usr/bin/python3\\n' > usr/bin/cloud-init; chmod +x usr/bin/cloud-init\n");
        }
        if (v.netplan()) {
            s.append("printf '#!/bin/sh\\n' > usr/sbin/netplan; chmod +x usr/sbin/netplan\n");
        }
        sh(r, s.toString());
        trees.put(v.key(), r);
        return r;
    }

    /** Runs {@code script} with sh in {@code dir}; fails the test on a non-zero exit. */
    static void sh(Path dir, String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-ec", script).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), script + "\n" + out);
    }
}
