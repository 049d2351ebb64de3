package io.metalcast.engine.image;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.InitramfsReport;
import io.metalcast.curtin.image.InitramfsScanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The initramfs scan of an ephemeral set, kept as {@code .initramfs.json} next to its files: written by the importer's
 * check, or on first listing for a set placed by hand. Blocking (reads the whole initrd once).
 */
public final class InitramfsReports {
    public static final String FILE_NAME = ".initramfs.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private InitramfsReports() {
    }

    /** Scans {@code dir/boot-initrd} and writes the report (atomically) into {@code dir}; returns it. */
    public static Map<String, Object> write(Path dir) throws IOException {
        InitramfsReport report = InitramfsScanner.scan(dir.resolve(EphemeralCatalog.INITRD));
        Map<String, Object> m = new LinkedHashMap<>(report.toMap());
        m.put("warnings", report.findings().stream().map(f -> f.message()).toList());
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return m;
    }

    /** The report kept in {@code dir}, if there is a readable one. */
    public static Optional<Map<String, Object>> read(Path dir) {
        Path f = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { }));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The kept report, else a fresh scan (kept for next time when the directory is writable). */
    public static Map<String, Object> readOrScan(Path dir) {
        Optional<Map<String, Object>> kept = read(dir);
        if (kept.isPresent()) {
            return kept.get();
        }
        try {
            return write(dir);
        } catch (IOException e) {
            try {
                InitramfsReport report = InitramfsScanner.scan(dir.resolve(EphemeralCatalog.INITRD));
                Map<String, Object> m = new LinkedHashMap<>(report.toMap());
                m.put("warnings", report.findings().stream().map(f -> f.message()).toList());
                return m;
            } catch (IOException unreadable) {
                return Map.of("warnings", List.of("boot-initrd cannot be read: " + unreadable.getMessage()));
            }
        }
    }
}
