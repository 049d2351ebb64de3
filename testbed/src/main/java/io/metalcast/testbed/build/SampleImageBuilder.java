package io.metalcast.testbed.build;

import io.metalcast.curtin.image.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds, once per cache key, a small raw disk image that stands in for a customer's custom image: MBR, partition 1
 * bootable FAT with syslinux (kernel and initramfs of the given ephemeral), partition 2 ext4 labelled
 * {@code metalcast-root} with a busybox root that looks like Ubuntu 22.04 to the installer ({@code /etc/os-release},
 * {@code /usr/bin/cloud-init}, {@code /usr/sbin/netplan}, {@code /curtin/}, {@code /etc/hostname} = {@code unnamed}).
 * Booted, it prints {@code METALCAST-DEPLOYED <hostname>} on the serial console and powers off. The same root also comes
 * as a root tarball ({@link #buildRootTarball}) that makes itself bootable through {@code /curtin/curtin-hooks}.
 */
public final class SampleImageBuilder {
    /** The release the image claims to be, as MAAS names a custom image's base: {@code ubuntu/jammy}. */
    public static final String RELEASE = "ubuntu/jammy";

    static final String IMAGE = "sample.raw";
    static final String SHA256 = "sample.raw.sha256";
    static final String TARBALL = "sample.tgz";
    static final String TARBALL_SHA256 = "sample.tgz.sha256";

    private SampleImageBuilder() {
    }

    /** The raw disk image ({@code sample.raw}), for the dd filetypes. */
    public static SampleImage build(Path cacheDir, Ephemeral kernelSource) throws IOException, InterruptedException {
        return build(cacheDir, kernelSource, "sample", "sample-image.sh", IMAGE, SHA256);
    }

    /**
     * The same root as a root tarball ({@code sample.tgz}, filetype {@code tgz}): the busybox root with {@code /boot}
     * (kernel, initramfs honouring {@code root=} of the command line) and {@code /curtin/curtin-hooks}, a busybox script
     * that writes a netplan file and installs extlinux onto {@code TARGET_DISK} (MBR boot code, partition 1 active,
     * {@code root=UUID=} of the installer's filesystem).
     */
    public static SampleImage buildRootTarball(Path cacheDir, Ephemeral kernelSource) throws IOException, InterruptedException {
        return build(cacheDir, kernelSource, "sample-tgz", "sample-tarball.sh", TARBALL, TARBALL_SHA256);
    }

    private static SampleImage build(Path cacheDir, Ephemeral kernelSource, String name, String script, String file,
                                     String shaFile) throws IOException, InterruptedException {
        long start = System.nanoTime();
        for (Path p : List.of(kernelSource.kernel(), kernelSource.initrd())) {
            if (!Files.isRegularFile(p)) {
                throw new IOException("kernelSource: " + p + " missing (expected: the output of EphemeralBuilder.build)");
            }
        }
        BuildCache.Hasher key = new BuildCache.Hasher().text("format", name + "-1");
        for (String resource : BuildScripts.RESOURCES) {
            key.bytes(resource, BuildScripts.resource(resource));
        }
        key.text("kernel-version", kernelSource.kernelVersion())
                .file("kernel", kernelSource.kernel())
                .file("busybox", Path.of("/bin/busybox"));
        Path dir = BuildCache.buildOnce(cacheDir, name, key.shortHex(), out -> {
            try (BuildScripts scripts = BuildScripts.extract()) {
                Path image = out.resolve(file);
                scripts.run(name, script, List.of(kernelSource.kernel().toString(), kernelSource.initrd().toString(),
                        scripts.dir().toString(), image.toString()));
                long hashStart = System.nanoTime();
                String sha = Sha256.ofFile(image);
                Files.writeString(out.resolve(shaFile), sha + "  " + file + "\n", StandardCharsets.UTF_8);
                BuildScripts.log("step sha256: done in " + BuildScripts.seconds(hashStart));
            }
        });
        Path image = dir.resolve(file);
        String sha = Files.readString(dir.resolve(shaFile), StandardCharsets.UTF_8).split("\\s+")[0];
        SampleImage sample = new SampleImage(image, Files.size(image), sha, RELEASE);
        BuildScripts.log(name + ": ready in " + BuildScripts.seconds(start) + ": " + sample);
        return sample;
    }
}
