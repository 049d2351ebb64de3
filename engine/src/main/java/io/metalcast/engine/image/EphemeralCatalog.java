package io.metalcast.engine.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The ephemeral images present under {@code data_dir/ephemeral/}. Reads the disk each time; blocking. */
public final class EphemeralCatalog {
    public static final String KERNEL = "boot-kernel";
    public static final String INITRD = "boot-initrd";
    public static final String SQUASHFS = "squashfs";
    private static final String SEGMENT = "[a-z0-9][a-z0-9._-]{0,63}";

    private final Path root;

    public EphemeralCatalog(Path dataDir) {
        this.root = dataDir.resolve("ephemeral");
    }

    public Path root() {
        return root;
    }

    /** The complete ephemeral image for that os, architecture ({@code amd64}) and release, if its three files exist. */
    public Optional<EphemeralImage> find(String os, String arch, String release) {
        if (!os.matches(SEGMENT) || !arch.matches(SEGMENT) || !release.matches(SEGMENT)) {
            return Optional.empty();
        }
        Path dir = root.resolve(os).resolve(arch).resolve(release);
        Path kernel = dir.resolve(KERNEL);
        Path initrd = dir.resolve(INITRD);
        Path squashfs = dir.resolve(SQUASHFS);
        if (Files.isRegularFile(kernel) && Files.isRegularFile(initrd) && Files.isRegularFile(squashfs)) {
            return Optional.of(new EphemeralImage(os, arch, release, kernel, initrd, squashfs));
        }
        return Optional.empty();
    }

    /** Every complete ephemeral image, sorted by os, arch, release. */
    public List<EphemeralImage> list() {
        List<EphemeralImage> out = new ArrayList<>();
        for (Path os : children(root)) {
            for (Path arch : children(os)) {
                for (Path rel : children(arch)) {
                    find(os.getFileName().toString(), arch.getFileName().toString(), rel.getFileName().toString()).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("ephemeral: cannot list " + dir, e);
        }
    }
}
