package io.metalcast.pxe.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootFilesTest {
    @TempDir
    Path dir;

    @Test
    void opensRegularFileWithSizeAndTime() throws Exception {
        Path f = Files.write(dir.resolve("a.bin"), new byte[1234]);
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L));
        BootFiles.Opened o = BootFiles.open(f);
        try (var ch = o.channel()) {
            assertEquals(1234, o.size());
            assertEquals(1_700_000_000_000L, o.lastModifiedMillis());
        }
    }

    @Test
    void followsSymlinkInsideItsDirectoryTree() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("sub"));
        Files.write(root.resolve("sub/real.bin"), new byte[7]);
        Path link = Files.createSymbolicLink(root.resolve("link.bin"), root.resolve("sub/real.bin"));
        BootFiles.Opened o = BootFiles.open(link);
        o.channel().close();
        assertEquals(7, o.size());
    }

    @Test
    void refusesSymlinkOutOfItsDirectoryTree() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.write(dir.resolve("secret"), new byte[3]);
        Path link = Files.createSymbolicLink(root.resolve("link.bin"), outside);
        assertThrows(BootFiles.SymlinkEscapeException.class, () -> BootFiles.open(link));
        Path relative = Files.createSymbolicLink(root.resolve("rel.bin"), Path.of("../secret"));
        assertThrows(BootFiles.SymlinkEscapeException.class, () -> BootFiles.open(relative));
    }

    @Test
    void refusesDirectoriesAndMissingFiles() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        assertThrows(BootFiles.NotRegularFileException.class, () -> BootFiles.open(sub));
        assertThrows(NoSuchFileException.class, () -> BootFiles.open(dir.resolve("missing")));
    }
}
