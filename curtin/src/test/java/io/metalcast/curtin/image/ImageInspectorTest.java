package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Images built by the real tools (mkfs.ext4 -d, sfdisk, dd, gzip, xz, bzip2, zstd, tar) and inspected. One Ubuntu
 * jammy root with a merged /usr, symlinked os-release and netplan, a long (slow) symlink to cloud-init and a few
 * thousand files in /usr/bin (an htree directory) is put on a GPT disk, then packed in every filetype.
 */
class ImageInspectorTest {
    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    static Path root;
    static Path gptDisk;

    @BeforeAll
    static void buildImages() throws Exception {
        Tools.assumeInstalled("mkfs.ext4", "sfdisk", "gzip", "xz", "bzip2", "zstd", "tar");
        root = rootTree(shared, "root", true, true, "jammy", 3000);
        gptDisk = disk(shared, "gpt", fs(shared, root, "root.ext4"));
    }

    /** A root tree as an Ubuntu image would have it. */
    static Path rootTree(Path base, String name, boolean cloudInit, boolean netplan, String codename, int extraFiles)
            throws Exception {
        Path r = base.resolve(name);
        Files.createDirectories(r);
        String version = switch (codename) {
            case "jammy" -> "22.04";
            case "noble" -> "24.04";
            default -> "11";
        };
        String id = codename.equals("bullseye") ? "debian" : "ubuntu";
        StringBuilder s = new StringBuilder("mkdir -p usr/bin usr/sbin usr/lib etc curtin usr/share/netplan usr/lib/python3/dist-packages/cloudinit/cmd/very/long/directory/name\n"
                + "ln -s usr/bin bin; ln -s usr/sbin sbin; ln -s usr/lib lib\n"
                + "printf 'PRETTY_NAME=\"T\"\\nNAME=\"T\"\\nID=" + id + "\\nVERSION_ID=\"" + version + "\"\\nVERSION_CODENAME=" + codename + "\\n' > usr/lib/os-release\n"
                + "ln -s ../usr/lib/os-release etc/os-release\n"
                + "printf '#!/bin/sh\\n' > curtin/curtin-hooks; chmod +x curtin/curtin-hooks\n");
        if (cloudInit) {
            s.append("echo '#!/usr/bin/python3' > usr/lib/python3/dist-packages/cloudinit/cmd/very/long/directory/name/main\n"
                    + "ln -s ../lib/python3/dist-packages/cloudinit/cmd/very/long/directory/name/main usr/bin/cloud-init\n");
        }
        if (netplan) {
            s.append("echo '#!/bin/sh' > usr/share/netplan/netplan.script; ln -s ../share/netplan/netplan.script usr/sbin/netplan\n");
        }
        if (extraFiles > 0) {
            s.append("i=0; while [ $i -lt " + extraFiles + " ]; do : > usr/bin/tool-with-a-longer-name-$i; i=$((i+1)); done\n");
        }
        Tools.sh(r, s.toString());
        return r;
    }

    static Path fs(Path base, Path tree, String name) throws Exception {
        Path img = base.resolve(name);
        Tools.sh(base, "mkfs.ext4 -q -F -N 4096 -d '" + tree + "' '" + img + "' 12M");
        return img;
    }

    /** A disk with the filesystem dd'ed at 2 MiB: GPT with a BIOS boot partition first, or MBR with the root only. */
    static Path disk(Path base, String label, Path fs) throws Exception {
        Path img = base.resolve(label + ".img");
        long fsMiB = Files.size(fs) >> 20;
        String table = label.equals("gpt")
                ? "label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649\nstart=4096, size=" + (fsMiB * 2048) + ", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
                : "label: dos\nstart=4096, size=" + (fsMiB * 2048) + ", type=83\n";
        Tools.sh(base, "truncate -s " + (fsMiB + 3) + "M '" + img + "'\nprintf '" + table.replace("\n", "\\n") + "' | sfdisk -q '" + img + "'\n"
                + "dd if='" + fs + "' of='" + img + "' bs=1M seek=2 conv=notrunc status=none");
        return img;
    }

    /** The content a filetype should hold, made from {@code disk} or {@code tree}. */
    static Path pack(Path base, ImageFiletype t, Path disk, Path tree) throws Exception {
        Path out = base.resolve("upload-" + t.uploadName());
        String d = "'" + disk + "'";
        String o = "'" + out + "'";
        String tarRoot = "tar -C '" + tree + "' -cf - .";
        String tarDisk = "tar -C '" + disk.getParent() + "' -cf - '" + disk.getFileName() + "'";
        Tools.sh(base, switch (t) {
            case DDRAW -> "cp " + d + " " + o;
            case DDGZ -> "gzip -c " + d + " > " + o;
            case DDXZ -> "xz -T1 -c " + d + " > " + o;
            case DDBZ2 -> "bzip2 -c " + d + " > " + o;
            case DDZST -> "zstd -q -c " + d + " > " + o;
            case DDTAR -> tarDisk + " > " + o;
            case DDTGZ -> tarDisk + " | gzip > " + o;
            case DDTXZ -> tarDisk + " | xz -T1 > " + o;
            case DDTBZ -> tarDisk + " | bzip2 > " + o;
            case TGZ -> tarRoot + " | gzip > " + o;
            case TXZ -> tarRoot + " | xz -T1 > " + o;
            case TBZ -> tarRoot + " | bzip2 > " + o;
        });
        return out;
    }

    @ParameterizedTest
    @EnumSource(ImageFiletype.class)
    void eachFiletypeHoldingWhatItShouldIsAccepted(ImageFiletype t) throws Exception {
        Inspection i = ImageInspector.inspect(pack(dir, t, gptDisk, root), t, dir);
        assertEquals(List.of(), i.findings(), i.toString());
        assertEquals(ImageInspector.expectedCompression(t), i.compression());
        assertEquals(ImageInspector.expectedContainer(t), i.container());
        assertTrue(i.rootFound() && i.cloudInit() && i.netplan() && i.curtinHooks() && i.curtinDir(), i.toString());
        assertEquals(new Inspection.OsRelease("ubuntu", "22.04", "jammy", "T"), i.osRelease());
        if (t.diskImage()) {
            assertEquals("gpt", i.partitionScheme());
            assertEquals(2, i.rootPartition());
            assertEquals("ext4", i.partitions().get(1).filesystem());
            assertEquals(Files.size(gptDisk), i.contentBytes());
        } else {
            assertEquals(0, i.rootPartition());
        }
        Inspection.Verdict v = i.verdict("ubuntu/jammy");
        assertTrue(v.accepted(), v.toString());
        assertEquals(List.of(), v.findings());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "the scratch spool is deleted");
        }
    }

    /** What is sent, what it is declared as, the kind of finding and what the message must advise. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DDGZ  | ddtgz | FILETYPE_MISMATCH    | filetype ddtgz declares a gzip-compressed tar holding a disk image, but the content is a gzip-compressed raw disk image: send it as filetype=ddgz",
            "DDRAW | ddgz  | FILETYPE_MISMATCH    | send it as filetype=ddraw",
            "DDTAR | ddraw | FILETYPE_MISMATCH    | an uncompressed tar holding a disk image (gpt.img): send it as filetype=ddtar",
            "TGZ   | ddtgz | FILETYPE_MISMATCH    | a gzip-compressed tar of a root filesystem: send it as filetype=tgz",
            "DDXZ  | tgz   | FILETYPE_MISMATCH    | send it as filetype=ddxz",
            "DDTBZ | ddbz2 | FILETYPE_MISMATCH    | send it as filetype=ddtbz",
    })
    void aFiletypeThatDoesNotMatchTheContentIsRefusedWithAdvice(ImageFiletype sent, String declared, Finding.Kind kind,
                                                              String advice) throws Exception {
        Inspection i = ImageInspector.inspect(pack(dir, sent, gptDisk, root), ImageFiletype.ofUploadName(declared).orElseThrow(), dir);
        assertEquals(1, i.findings().size(), i.findings().toString());
        Finding f = i.findings().get(0);
        assertEquals(kind, f.kind());
        assertTrue(f.refuses());
        assertTrue(f.message().contains(advice), f.message());
        assertFalse(i.verdict("ubuntu/jammy").accepted());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "zstd -q -c < disk             ; ddxz  ; FILETYPE_MISMATCH    ; send it as filetype=ddzst",
            "cat fs                         ; ddraw ; FILETYPE_MISMATCH    ; bare filesystem image without a partition table: a filesystem without",
            "head -c 100000 /dev/urandom    ; ddraw ; UNRECOGNISED_CONTENT ; but the content is unrecognised data (first bytes:",
            "printf 'not an image'          ; ddgz  ; UNRECOGNISED_CONTENT ; send a raw disk image",
            "head -c 1000 /dev/zero | gzip  ; ddgz  ; UNRECOGNISED_CONTENT ; a gzip stream holding unrecognised data",
            ":                              ; ddraw ; UNRECOGNISED_CONTENT ; the content is an empty file",
            "head -c 3000000 disk        ; ddraw ; TRUNCATED            ; the upload looks truncated",
            "gzip -c < disk | head -c 9000 ; ddgz  ; TRUNCATED            ; the upload looks truncated",
            "tar -chf - fs | head -c 5000000 ; ddtar ; CORRUPT ; Truncated TAR archive",
    })
    void badContentIsAFindingNotACrash(String make, String declared, Finding.Kind kind, String text) throws Exception {
        Path fs = shared.resolve("root.ext4");
        Files.deleteIfExists(dir.resolve("disk"));
        Files.createSymbolicLink(dir.resolve("disk"), gptDisk);
        Files.createSymbolicLink(dir.resolve("fs"), fs);
        Tools.sh(dir, "(" + make + ") > upload");
        Inspection i = ImageInspector.inspect(dir.resolve("upload"), ImageFiletype.ofUploadName(declared).orElseThrow(), dir);
        assertTrue(i.findings().stream().anyMatch(f -> f.kind() == kind && f.refuses() && f.message().contains(text)),
                i.findings().toString());
        assertFalse(i.verdict("ubuntu/jammy").accepted());
        assertFalse(i.verdict("centos/8").accepted());
    }

    /** Root tree, base image, whether accepted, the finding kind expected (or none). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "no-cloud-init | ubuntu/jammy | false | MISSING_CLOUD_INIT | has no /usr/bin/cloud-init",
            "no-netplan    | ubuntu/jammy | false | MISSING_NETPLAN    | ubuntu 22.04 (jammy)) has no netplan",
            "no-netplan    | centos/8     | true  | RELEASE_MISMATCH   | os-release in the image says ubuntu 22.04 (jammy) but base_image is centos/8",
            "complete      | ubuntu/noble | false | RELEASE_MISMATCH   | says ubuntu 22.04 (jammy) but base_image is ubuntu/noble: send base_image=ubuntu/jammy",
            "debian        | ubuntu/bullseye | false | RELEASE_MISMATCH | says debian 11 (bullseye) but base_image is ubuntu/bullseye",
            "debian        | rhel/9       | true  | RELEASE_MISMATCH   | says debian 11 (bullseye) but base_image is rhel/9",
    })
    void contentRulesDependOnTheBase(String tree, String base, boolean accepted, Finding.Kind kind, String text) throws Exception {
        Path t = switch (tree) {
            case "no-cloud-init" -> rootTree(dir, tree, false, true, "jammy", 0);
            case "no-netplan" -> rootTree(dir, tree, true, false, "jammy", 0);
            case "debian" -> rootTree(dir, tree, true, false, "bullseye", 0);
            default -> rootTree(dir, tree, true, true, "jammy", 0);
        };
        Path disk = disk(dir, "dos", fs(dir, t, "fs.ext4"));
        Inspection i = ImageInspector.inspect(disk, ImageFiletype.DDRAW, dir);
        assertEquals(List.of(), i.findings());
        assertEquals("dos", i.partitionScheme());
        assertEquals(1, i.rootPartition());
        Inspection.Verdict v = i.verdict(base);
        assertEquals(accepted, v.accepted(), v.toString());
        assertTrue(v.findings().stream().anyMatch(f -> f.kind() == kind && f.message().contains(text)), v.toString());
    }

    @Test
    void aNonUbuntuBaseNeedsCloudInitOnlyAndTarRootsAreCheckedToo() throws Exception {
        Path t = rootTree(dir, "centos", true, false, "jammy", 0);
        Tools.sh(t, "rm etc/os-release usr/lib/os-release; printf 'ID=\"centos\"\\nVERSION_ID=\"8\"\\n' > etc/os-release");
        Path upload = pack(dir, ImageFiletype.TGZ, gptDisk, t);
        Inspection i = ImageInspector.inspect(upload, ImageFiletype.TGZ, dir);
        assertEquals(new Inspection.OsRelease("centos", "8", "", ""), i.osRelease());
        assertTrue(i.cloudInit());
        assertFalse(i.netplan());
        Inspection.Verdict v = i.verdict("centos/8");
        assertTrue(v.accepted(), v.toString());
        assertEquals(List.of(), v.findings());
        Tools.sh(t, "rm usr/bin/cloud-init");
        Inspection without = ImageInspector.inspect(pack(dir, ImageFiletype.TXZ, gptDisk, t), ImageFiletype.TXZ, dir);
        assertFalse(without.verdict("centos/8").accepted());
    }

    @Test
    void aPartitionWithoutAReadableFilesystemIsReportedAndTheVerdictOnlyWarns() throws Exception {
        Path blank = dir.resolve("blank");
        Tools.sh(dir, "truncate -s 4M blank");
        Path disk = disk(dir, "dos", blank);
        Inspection i = ImageInspector.inspect(disk, ImageFiletype.DDRAW, dir);
        assertEquals("none", i.partitions().get(0).filesystem());
        assertEquals(List.of(Finding.Kind.UNREADABLE_FILESYSTEM), i.findings().stream().map(Finding::kind).toList());
        assertTrue(i.findings().get(0).message().contains("unreadable filesystem type in partition 1"), i.findings().toString());
        Inspection.Verdict v = i.verdict("rhel/9");
        assertTrue(v.accepted());
        assertTrue(v.findings().stream().anyMatch(f -> f.kind() == Finding.Kind.NO_ROOT_FILESYSTEM));
    }

    @Test
    void theInspectionShowsAsAPlainTree() throws Exception {
        Inspection i = ImageInspector.inspect(gptDisk, ImageFiletype.DDRAW, dir);
        Map<String, Object> m = i.toMap();
        assertEquals("ddraw", m.get("declared_filetype"));
        assertEquals("raw_disk", m.get("container"));
        assertEquals(Map.of("cloud_init", true, "netplan", true, "curtin_hooks", true, "curtin_dir", true), m.get("found"));
        assertEquals("jammy", ((Map<?, ?>) m.get("os_release")).get("version_codename"));
        assertEquals(2, ((List<?>) m.get("partitions")).size());
        assertEquals(Map.of("accepted", true, "findings", List.of()), i.verdict("ubuntu/jammy").toMap());
    }
}
