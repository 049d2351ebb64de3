package io.metalcast.testbed.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds the lab's ephemeral environment from Debian packages, once per cache key: Debian's kernel, a busybox initramfs
 * with the cloud-initramfs-tools style scripts {@code rooturl}, {@code overlayroot} and {@code copymods}, and a squashfs
 * root holding a jlink'd Java runtime and the installer jars, whose {@code /sbin/init} runs the installer with the
 * {@code cloud-config-url=} of the kernel command line.
 *
 * <p>Kernel command line accepted: {@code root=squash:http://HOST:PORT/PATH ip=::::HOSTNAME:BOOTIF BOOTIF=01-aa-bb-cc-dd-ee-ff
 * overlayroot=tmpfs console=ttyS0 cloud-config-url=URL}; {@code ip=dhcp} and
 * {@code ip=CLIENT::GATEWAY:NETMASK:HOSTNAME:DEVICE:off} work too. Needs root and the packages of
 * {@code testbed/apt-packages.txt}.
 */
public final class EphemeralBuilder {
    /** The JDK whose jlink builds the runtime (it links without jmods). */
    public static final Path DEFAULT_JDK = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    /** Modules in the initramfs; their dependencies come along. The installer mounts ext4 and vfat later (copymods). */
    static final List<String> INITRAMFS_MODULES = List.of(
            "virtio_pci", "virtio_net", "virtio_blk", "virtio_scsi", "sd_mod", "loop", "squashfs", "overlay",
            "crc32c", "ext4", "vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8", "nls_ascii");

    /** zstd: about 7% larger than xz but the runtime starts about a second sooner under TCG. */
    static final String SQUASHFS_COMPRESSION = "zstd";

    static final String KERNEL = "vmlinuz";
    static final String INITRD = "initrd.img";
    static final String SQUASHFS = "squashfs";
    static final String KERNEL_VERSION = "kernel-version";

    private EphemeralBuilder() {
    }

    /** Builds with {@link #DEFAULT_JDK}. */
    public static Ephemeral build(Path cacheDir, Path installerDir) throws IOException, InterruptedException {
        return build(cacheDir, installerDir, DEFAULT_JDK);
    }

    public static Ephemeral build(Path cacheDir, Path installerDir, Path jdk) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<Path> jars = jars(installerDir);
        if (!Files.isExecutable(jdk.resolve("bin/jlink"))) {
            throw new IOException("jdk: " + jdk + " has no bin/jlink (expected: a JDK 24+ such as " + DEFAULT_JDK + ")");
        }
        try (BuildScripts scripts = BuildScripts.extract()) {
            String[] kernelPackage = scripts.run("kernel-package", "kernel-package.sh", List.of()).trim().split("\\s+");
            if (kernelPackage.length != 2) {
                throw new IOException("kernel-package: '" + String.join(" ", kernelPackage) + "' (expected: <package> <version>)");
            }
            BuildCache.Hasher key = new BuildCache.Hasher().text("format", "ephemeral-1");
            for (String name : BuildScripts.RESOURCES) {
                key.bytes(name, BuildScripts.resource(name));
            }
            key.text("kernel", kernelPackage[0] + "=" + kernelPackage[1])
                    .text("modules", String.join(",", INITRAMFS_MODULES))
                    .text("compression", SQUASHFS_COMPRESSION)
                    .file("jdk", jdk.resolve("release"))
                    .file("busybox", Path.of("/bin/busybox"));
            for (Path jar : jars) {
                key.file("jar " + jar.getFileName(), jar);
            }
            Path dir = BuildCache.buildOnce(cacheDir, "ephemeral", key.shortHex(), out -> {
                Path unpacked = out.resolve("kernel-unpacked");
                scripts.run("kernel", "kernel.sh", List.of(kernelPackage[0], kernelPackage[1], unpacked.toString()));
                String version = Files.readString(unpacked.resolve(KERNEL_VERSION), StandardCharsets.UTF_8).trim();
                Path root = unpacked.resolve("root");
                Files.copy(root.resolve("boot/vmlinuz-" + version), out.resolve(KERNEL));
                List<String> args = new ArrayList<>(List.of(root.toString(), version, scripts.dir().toString(),
                        out.resolve(INITRD).toString()));
                args.addAll(INITRAMFS_MODULES);
                scripts.run("initramfs", "initramfs.sh", args);
                BuildCache.deleteRecursively(unpacked);
                scripts.run("squashfs", "rootfs.sh", List.of(jdk.toString(), installerDir.toString(), scripts.dir().toString(),
                        version, out.resolve(SQUASHFS).toString(), SQUASHFS_COMPRESSION));
                Files.writeString(out.resolve(KERNEL_VERSION), version + "\n", StandardCharsets.UTF_8);
            });
            Ephemeral ephemeral = new Ephemeral(dir.resolve(KERNEL), dir.resolve(INITRD), dir.resolve(SQUASHFS),
                    Files.readString(dir.resolve(KERNEL_VERSION), StandardCharsets.UTF_8).trim());
            BuildScripts.log("ephemeral: ready in " + BuildScripts.seconds(start) + ": " + ephemeral);
            return ephemeral;
        }
    }

    private static List<Path> jars(Path installerDir) throws IOException {
        if (!Files.isDirectory(installerDir)) {
            throw new IOException("installerDir: " + installerDir + " (expected: a directory holding the installer's jars)");
        }
        try (Stream<Path> files = Files.list(installerDir)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))
                    .sorted().toList();
            if (jars.isEmpty()) {
                throw new IOException("installerDir: " + installerDir + " has no *.jar (expected: metalcast-curtin-*.jar and its libs)");
            }
            return jars;
        }
    }
}
