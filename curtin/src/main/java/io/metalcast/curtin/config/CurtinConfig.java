package io.metalcast.curtin.config;

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
        sources = Map.copyOf(Objects.requireNonNull(sources, "sources"));
        reporting = Map.copyOf(Objects.requireNonNull(reporting, "reporting"));
        writeFiles = Map.copyOf(Objects.requireNonNull(writeFiles, "writeFiles"));
        Objects.requireNonNull(installLogFile, "installLogFile");
    }
}
