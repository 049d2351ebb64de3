package io.metalcast.curtin.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DiskChooserTest {
    @TempDir
    Path sys;

    /** Disks as {@code name:sectors:removable} separated by spaces; expected device or {@code none}. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "'vda:16777216:0', /dev/vda",
            "'vdb:16777216:0 vda:16777216:0', /dev/vda",
            "'loop0:16777216:0 sda:16777216:0', /dev/sda",
            "'ram0:16777216:0 sr0:16777216:0 fd0:16777216:0 zram0:16777216:0 dm-0:16777216:0 nvme0n1:4194304:0', /dev/nvme0n1",
            "'sda:16777216:1 sdb:16777216:0', /dev/sdb",
            "'sda:2097151:0 sdb:2097152:0', /dev/sdb",
            "'sda:2097151:0 sdb:16777216:1 loop1:9999999:0', none",
            "'', none"})
    void choosesLikeCurtinsSimpleMode(String disks, String expected) throws Exception {
        Files.createDirectories(sys.resolve("block"));
        for (String d : disks.split(" ")) {
            if (d.isEmpty()) {
                continue;
            }
            String[] f = d.split(":");
            Path dir = Files.createDirectories(sys.resolve("block").resolve(f[0]));
            Files.writeString(dir.resolve("size"), f[1] + "\n");
            Files.writeString(dir.resolve("removable"), f[2] + "\n");
        }
        DiskChooser chooser = new DiskChooser(sys, new Commands(Duration.ofSeconds(5)));
        if (expected.equals("none")) {
            InstallException e = assertThrows(InstallException.class, chooser::choose);
            assertEquals(InstallException.Kind.TARGET, e.kind());
        } else {
            TargetDisk t = chooser.choose();
            assertEquals(Path.of(expected), t.path());
            assertEquals(true, t.blockDevice());
            assertEquals(true, t.size() >= DiskChooser.MIN_DISK, "size " + t.size());
        }
    }
}
