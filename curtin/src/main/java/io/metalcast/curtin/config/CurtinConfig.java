package io.metalcast.curtin.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The part of a curtin config that metalcast renders and its installer consumes. Maps keep their insertion order.
 *
 * @param sources    {@code sources}: name to source
 * @param reporting  {@code reporting}: name to webhook reporter
 * @param writeFiles {@code write_files}: name to file
 * @param installLogFile {@code install.log_file}
 */
public record CurtinConfig(Map<String, Source> sources, Map<String, WebhookReporter> reporting, Map<String, WriteFile> writeFiles,
                           String installLogFile) {
    public CurtinConfig {
        sources = ordered(sources, "sources");
        reporting = ordered(reporting, "reporting");
        writeFiles = ordered(writeFiles, "writeFiles");
        Objects.requireNonNull(installLogFile, "installLogFile");
    }

    /** An unmodifiable copy that keeps the caller's order (curtin writes files and runs commands in key order). */
    private static <V> Map<String, V> ordered(Map<String, V> map, String what) {
        Objects.requireNonNull(map, what);
        Map<String, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, what + " key"), Objects.requireNonNull(v, what + "." + k)));
        return Collections.unmodifiableMap(copy);
    }
}
