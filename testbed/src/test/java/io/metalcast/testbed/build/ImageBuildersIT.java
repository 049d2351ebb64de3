package io.metalcast.testbed.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.ImageInspector;
import io.metalcast.curtin.image.Inspection;
import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the ephemeral environment and the sample image into a temporary cache (as root, with the packages of
 * testbed/apt-packages.txt and the Temurin 25 JDK), inspects the outputs with the usual tools, and checks the cache.
 */
class ImageBuildersIT {
    private static final List<String> TOOLS = List.of("/bin/busybox", "/usr/bin/mksquashfs", "/usr/bin/unsquashfs",
            "/usr/bin/cpio", "/usr/sbin/depmod", "/usr/sbin/mkfs.ext4", "/usr/sbin/debugfs", "/usr/sbin/sfdisk",
            "/usr/sbin/mkfs.vfat", "/usr/bin/mcopy", "/usr/bin/syslinux", "/usr/lib/syslinux/mbr/mbr.bin",
            "/usr/bin/apt-get", "/usr/bin/zstd", "/usr/bin/extlinux");

    @TempDir
    static Path cache;

    @TempDir
    static Path installer;

    @BeforeAll
    static void requirements() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        for (String tool : TOOLS) {
            assumeTrue(Files.exists(Path.of(tool)), "needs " + tool);
        }
        assumeTrue(Files.isExecutable(EphemeralBuilder.DEFAULT_JDK.resolve("bin/jlink")), "needs " + EphemeralBuilder.DEFAULT_JDK);
        standInInstallerJar(installer.resolve("metalcast-curtin-standin.jar"));
    }

    @Test
    void buildsBothOnceAndTheOutputsHoldWhatTheLabNeeds() throws Exception {
        Ephemeral ephemeral = EphemeralBuilder.build(cache, installer);
        assertTrue(ephemeral.kernelVersion().endsWith("-amd64"), ephemeral.kernelVersion());
        for (Path p : List.of(ephemeral.kernel(), ephemeral.initrd(), ephemeral.squashfs())) {
            assertTrue(Files.size(p) > 1_000_000, p + " is too small");
        }

        List<String> initrd = lines(sh("gzip -dc '" + ephemeral.initrd() + "' | cpio -t --quiet"));
        for (String entry : List.of("init", "scripts/local-top/rooturl", "scripts/local-top/ORDER",
                "scripts/init-bottom/overlayroot", "scripts/init-bottom/copymods", "scripts/init-bottom/ORDER",
                "dev/console", "bin/busybox", "lib/modules/" + ephemeral.kernelVersion() + "/modules.dep")) {
            assertTrue(initrd.contains(entry), "initramfs lacks " + entry);
        }
        for (String module : List.of("squashfs.ko", "overlay.ko", "loop.ko", "virtio_net.ko", "virtio_blk.ko", "ext4.ko", "vfat.ko")) {
            assertTrue(initrd.stream().anyMatch(e -> e.endsWith("/" + module)), "initramfs lacks " + module);
        }
        String localTop = sh("cd \"$(mktemp -d)\" && gzip -dc '" + ephemeral.initrd()
                + "' | cpio -i --quiet --to-stdout scripts/local-top/ORDER scripts/init-bottom/ORDER");
        assertTrue(localTop.contains("/scripts/local-top/rooturl"), localTop);
        assertTrue(localTop.contains("/scripts/init-bottom/copymods"), localTop);
        assertTrue(localTop.contains("/scripts/init-bottom/overlayroot"), localTop);

        List<String> squash = lines(run("unsquashfs", "-l", ephemeral.squashfs().toString()));
        assertTrue(squash.contains("squashfs-root/opt/metalcast/installer/metalcast-curtin-standin.jar"), "squashfs lacks the jar");
        assertTrue(squash.stream().anyMatch(e -> e.endsWith("/bin/java")), "squashfs lacks bin/java");
        for (String entry : List.of("squashfs-root/sbin/init", "squashfs-root/sbin/losetup", "squashfs-root/bin/mount",
                "squashfs-root/sbin/blockdev", "squashfs-root/lib64/ld-linux-x86-64.so.2", "squashfs-root/media/root-ro",
                "squashfs-root/usr/sbin/sfdisk", "squashfs-root/usr/sbin/mkfs.ext4", "squashfs-root/usr/sbin/blkdiscard",
                "squashfs-root/usr/bin/fallocate", "squashfs-root/etc/mke2fs.conf", "squashfs-root/usr/bin/extlinux",
                "squashfs-root/usr/lib/syslinux/mbr/mbr.bin")) {
            assertTrue(squash.contains(entry), "squashfs lacks " + entry);
        }
        // The copied tools and the runtime find every library they link against inside the squashfs.
        Path unpacked = cache.resolve("unpacked-rootfs");
        run("unsquashfs", "-q", "-n", "-d", unpacked.toString(), ephemeral.squashfs().toString());
        // The runtime resolves $ORIGIN through /proc/self/exe, as it does in the machine, so /proc is mounted.
        run("mount", "-t", "proc", "proc", unpacked.resolve("proc").toString());
        try {
            for (String tool : List.of("/usr/sbin/sfdisk --version", "/usr/sbin/mkfs.ext4 -V", "/usr/sbin/blkdiscard --version",
                    "/usr/bin/extlinux --version", "/opt/metalcast/jre/bin/java -version")) {
                List<String> cmd = new java.util.ArrayList<>(List.of("chroot", unpacked.toString()));
                cmd.addAll(List.of(tool.split(" ")));
                run(cmd.toArray(String[]::new));
            }
        } finally {
            run("umount", unpacked.resolve("proc").toString());
        }

        SampleImage sample = SampleImageBuilder.build(cache, ephemeral);
        assertEquals(Files.size(sample.rawImage()), sample.size());
        assertTrue(sample.size() <= 128L << 20, "sample image larger than 128 MiB: " + sample.size());
        assertEquals(Sha256.ofFile(sample.rawImage()), sample.sha256());
        assertEquals("ubuntu/jammy", sample.release());
        String table = run("sfdisk", "-d", sample.rawImage().toString());
        assertTrue(table.contains("label: dos"), table);
        List<String> parts = lines(table).stream().filter(l -> l.startsWith(sample.rawImage().toString())).toList();
        assertEquals(2, parts.size(), table);
        assertTrue(parts.get(0).contains("type=c") && parts.get(0).contains("bootable"), parts.get(0));
        assertTrue(parts.get(1).contains("type=83"), parts.get(1));
        byte[] head = readRange(sample.rawImage(), 0, 512);
        assertEquals((byte) 0x55, head[510]);
        assertEquals((byte) 0xAA, head[511]);
        assertArrayEquals(Arrays.copyOf(Files.readAllBytes(Path.of("/usr/lib/syslinux/mbr/mbr.bin")), 440), Arrays.copyOf(head, 440));

        long start = Long.parseLong(field(parts.get(1), "start"));
        long sectors = Long.parseLong(field(parts.get(1), "size"));
        Path root = cache.resolve("root-partition.img");
        try (InputStream in = Files.newInputStream(sample.rawImage()); OutputStream out = Files.newOutputStream(root)) {
            in.skipNBytes(start * 512);
            long left = sectors * 512;
            byte[] buf = new byte[1 << 20];
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                out.write(buf, 0, n);
                left -= n;
            }
        }
        String ls = run("debugfs", "-R", "ls -l /", root.toString());
        for (String name : List.of("curtin", "sbin", "etc", "usr")) {
            assertTrue(ls.matches("(?s).*\\s" + name + "\\s.*"), "root lacks /" + name + ":\n" + ls);
        }
        assertEquals("unnamed", run("debugfs", "-R", "cat /etc/hostname", root.toString()).trim());
        String osRelease = run("debugfs", "-R", "cat /etc/os-release", root.toString());
        assertTrue(osRelease.contains("ID=ubuntu") && osRelease.contains("VERSION_ID=\"22.04\"")
                && osRelease.contains("VERSION_CODENAME=jammy"), osRelease);
        for (String file : List.of("/usr/bin/cloud-init", "/usr/sbin/netplan", "/sbin/init")) {
            String stat = run("debugfs", "-R", "stat " + file, root.toString());
            assertTrue(stat.contains("Type: regular") && stat.contains("Mode:  0755"), file + ":\n" + stat);
        }
        assertTrue(run("debugfs", "-R", "cat /sbin/init", root.toString()).contains("METALCAST-DEPLOYED"));
        Files.delete(root);

        SampleImage tarball = SampleImageBuilder.buildRootTarball(cache, ephemeral);
        assertTrue(tarball.rawImage().getFileName().toString().endsWith(".tgz"), tarball.toString());
        assertEquals(Files.size(tarball.rawImage()), tarball.size());
        assertEquals(Sha256.ofFile(tarball.rawImage()), tarball.sha256());
        assertEquals("ubuntu/jammy", tarball.release());
        List<String> listing = lines(run("tar", "-tvzf", tarball.rawImage().toString()));
        String kver = ephemeral.kernelVersion();
        for (String entry : List.of("./curtin/curtin-hooks", "./sbin/init", "./usr/bin/cloud-init", "./usr/sbin/netplan")) {
            assertTrue(listing.stream().anyMatch(l -> l.startsWith("-rwxr-xr-x 0/0 ") && l.endsWith(" " + entry)),
                    "tarball lacks an executable " + entry + ":\n" + String.join("\n", listing));
        }
        for (String entry : List.of("./boot/vmlinuz-" + kver, "./boot/initrd.img-" + kver, "./etc/os-release", "./etc/hostname",
                "./usr/lib/syslinux/mbr/mbr.bin", "./bin/busybox")) {
            assertTrue(listing.stream().anyMatch(l -> l.endsWith(" " + entry)), "tarball lacks " + entry);
        }
        String hook = sh("tar -xzOf '" + tarball.rawImage() + "' ./curtin/curtin-hooks");
        assertTrue(hook.startsWith("#!/bin/sh\n") && hook.contains("extlinux --install") && hook.contains("TARGET_DISK"), hook);
        assertEquals("unnamed", sh("tar -xzOf '" + tarball.rawImage() + "' ./etc/hostname").trim());
        Inspection inspection = ImageInspector.inspect(tarball.rawImage(), ImageFiletype.TGZ, cache);
        Inspection.Verdict verdict = inspection.verdict("ubuntu/jammy");
        assertTrue(verdict.accepted(), verdict.findings() + "\n" + inspection);

        // Second round: same paths, nothing rebuilt (the stamps keep their times, no build directories appear).
        FileTime ephemeralStamp = Files.getLastModifiedTime(ephemeral.kernel().resolveSibling(BuildCache.DONE));
        FileTime sampleStamp = Files.getLastModifiedTime(sample.rawImage().resolveSibling(BuildCache.DONE));
        long t0 = System.nanoTime();
        Ephemeral again = EphemeralBuilder.build(cache, installer);
        SampleImage sampleAgain = SampleImageBuilder.build(cache, again);
        SampleImage tarballAgain = SampleImageBuilder.buildRootTarball(cache, again);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertEquals(ephemeral, again);
        assertEquals(sample, sampleAgain);
        assertEquals(tarball, tarballAgain);
        assertEquals(ephemeralStamp, Files.getLastModifiedTime(again.kernel().resolveSibling(BuildCache.DONE)));
        assertEquals(sampleStamp, Files.getLastModifiedTime(sampleAgain.rawImage().resolveSibling(BuildCache.DONE)));
        assertTrue(seconds < 30, "cached builds took " + seconds + " s");
        try (var files = Files.list(cache)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "a build directory was left behind");
        }
    }

    private static String field(String sfdiskLine, String name) {
        for (String part : sfdiskLine.substring(sfdiskLine.indexOf(':') + 1).split(",")) {
            String[] kv = part.trim().split("=", 2);
            if (kv[0].trim().equals(name)) {
                return kv[1].trim();
            }
        }
        throw new AssertionError(name + " missing in " + sfdiskLine);
    }

    private static byte[] readRange(Path file, long offset, int length) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            return in.readNBytes(length);
        }
    }

    private static List<String> lines(String s) {
        return s.lines().map(String::strip).toList();
    }

    private static String sh(String script) throws IOException, InterruptedException {
        return run("bash", "-c", "set -o pipefail; " + script);
    }

    /** Runs a command; returns its stdout (stderr only goes into the failure message). */
    private static String run(String... command) throws IOException, InterruptedException {
        Path errors = Files.createTempFile("it-stderr", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectError(errors.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + text + Files.readString(errors));
            return text;
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** A jar with a class named like the real installer that prints one line (the real one is built elsewhere). */
    private static void standInInstallerJar(Path jar) throws IOException {
        Path src = Files.createTempDirectory("standin-src");
        Path classes = Files.createTempDirectory("standin-classes");
        try {
            Path java = src.resolve("Installer.java");
            Files.writeString(java, "package io.metalcast.curtin.installer;\n"
                    + "public class Installer { public static void main(String[] a) {\n"
                    + "  System.out.println(\"STANDIN-INSTALLER \" + String.join(\" \", a)); } }\n");
            JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
            assumeTrue(compiler != null, "needs a JDK to compile the stand-in installer");
            int rc = compiler.run(null, null, null, "--release", "17", "-d", classes.toString(), java.toString());
            assertEquals(0, rc, "stand-in installer did not compile");
            List<Path> files = new ArrayList<>();
            try (var walk = Files.walk(classes)) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                for (Path f : files) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                    out.write(Files.readAllBytes(f));
                    out.closeEntry();
                }
            }
        } finally {
            BuildCache.deleteRecursively(src);
            BuildCache.deleteRecursively(classes);
        }
    }
}
