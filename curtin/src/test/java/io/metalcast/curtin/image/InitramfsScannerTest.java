package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Initramfs images made by cpio and the real compressors: an uncompressed early cpio, then a compressed main one. */
class InitramfsScannerTest {
    @TempDir
    Path dir;

    private Path build(boolean scripts, String compress) throws Exception {
        Tools.assumeInstalled("cpio", compress.split(" ")[0]);
        String main = "mkdir -p main/scripts/local-top main/scripts/init-bottom main/usr/lib/modules/6.8.0-1-generic/kernel/fs/squashfs early/kernel/x86/microcode\n"
                + "head -c 5000 /dev/urandom > early/kernel/x86/microcode/GenuineIntel.bin\n"
                + "head -c 3001 /dev/urandom > main/usr/lib/modules/6.8.0-1-generic/kernel/fs/squashfs/squashfs.ko.zst\n"
                + (scripts ? "echo '#!/bin/sh' > main/scripts/local-top/rooturl; echo '#!/bin/sh' > main/scripts/init-bottom/copymods\n"
                        + "echo '#!/bin/sh' > main/scripts/init-bottom/overlayroot\n"
                        + "printf '/scripts/local-top/rooturl \"$@\"\\n[ -e /conf/param.conf ] && . /conf/param.conf\\n' > main/scripts/local-top/ORDER\n"
                        + "printf '/scripts/init-bottom/copymods \"$@\"\\n/scripts/init-bottom/overlayroot \"$@\"\\n' > main/scripts/init-bottom/ORDER\n"
                        : "echo '#!/bin/sh' > main/scripts/init-bottom/udev; printf '/scripts/init-bottom/udev\\n' > main/scripts/init-bottom/ORDER\n")
                + "(cd early && find . | cpio -o -H newc --quiet) > initrd\n"
                + "(cd main && find . | cpio -o -H newc --quiet) | " + compress + " >> initrd\n";
        Tools.sh(dir, main);
        return dir.resolve("initrd");
    }

    @ParameterizedTest
    @CsvSource({
            "cat, cpio",
            "gzip -c, gzip+cpio",
            "xz -T1 --check=crc32 -c, xz+cpio",
            "zstd -q -c, zstd+cpio",
            "bzip2 -c, bzip2+cpio",
            "lz4 -q -c, lz4+cpio",
            "lz4 -q -l -c, lz4-legacy+cpio",
    })
    void findsTheScriptsThroughEachCompression(String compress, String segment) throws Exception {
        InitramfsReport r = InitramfsScanner.scan(build(true, compress));
        assertEquals(List.of(), r.findings(), r.toString());
        assertEquals(List.of("cpio", segment), r.segments());
        assertTrue(r.rooturl() && r.rooturlOrdered() && r.copymods() && r.copymodsOrdered() && r.overlayroot()
                && r.overlayrootOrdered() && r.squashfsModule(), r.toString());
        assertTrue(r.entries() > 15, r.toString());
    }

    @Test
    void warnsAboutMissingScripts() throws Exception {
        InitramfsReport r = InitramfsScanner.scan(build(false, "gzip -c"));
        assertFalse(r.rooturl() || r.copymods() || r.overlayroot());
        assertTrue(r.squashfsModule());
        assertEquals(3, r.findings().size(), r.toString());
        assertTrue(r.findings().stream().allMatch(f -> f.kind() == Finding.Kind.INITRAMFS_SCRIPT_MISSING && !f.refuses()));
        assertTrue(r.findings().get(0).message().startsWith("rooturl script missing: this initramfs cannot boot"
                + " root=squash:URL; rebuild it with cloud-initramfs-rooturl"), r.findings().toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "head -c 100000 /dev/urandom > initrd",
            "printf '070701zzzz' > initrd",
            "cp /dev/null initrd",
    })
    void garbageIsAWarningNotACrash(String make) throws Exception {
        Tools.sh(dir, make);
        InitramfsReport r = InitramfsScanner.scan(dir.resolve("initrd"));
        assertFalse(r.rooturl());
        assertTrue(r.findings().stream().anyMatch(f -> f.kind() == Finding.Kind.INITRAMFS_SCRIPT_MISSING));
    }

    @Test
    void aTruncatedInitramfsSaysSo() throws Exception {
        Path initrd = build(true, "gzip -c");
        Tools.sh(dir, "head -c 3000 initrd > cut");
        InitramfsReport r = InitramfsScanner.scan(dir.resolve("cut"));
        assertTrue(r.findings().stream().anyMatch(f -> f.kind() == Finding.Kind.INITRAMFS_UNREADABLE), r.toString());
    }
}
