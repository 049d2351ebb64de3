package io.metalcast.engine.ephemeral.simplestreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code .imported.json} sidecar of an imported set, in {@code data_dir/ephemeral/<os>/<arch>/<release>/}: where the
 * set came from, for a Synced resource's display and for skipping downloads of files already present.
 *
 * @param mirror     the mirror root the set was imported from
 * @param files      by ftype ({@code boot-kernel}, {@code boot-initrd}, {@code squashfs})
 * @param importedAt when the set was put in place
 */
public record ImportedSet(String os, String arch, String release, String productId, String version, String subarch,
                          String kflavor, URI mirror, Map<String, File> files, Instant importedAt) {
    /** The sidecar's file name. */
    public static final String FILE_NAME = ".imported.json";

    public ImportedSet {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(productId, "productId");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(subarch, "subarch");
        Objects.requireNonNull(kflavor, "kflavor");
        Objects.requireNonNull(mirror, "mirror");
        files = Map.copyOf(Objects.requireNonNull(files, "files"));
        Objects.requireNonNull(importedAt, "importedAt");
    }

    /** One file: its sha256, size, and URL on the mirror. */
    public record File(String sha256, long size, URI source) {
        public File {
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(source, "source");
        }
    }

    /** The sidecar of {@code releaseDir}, if present and readable. */
    public static Optional<ImportedSet> read(Path releaseDir) {
        Path f = releaseDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            JsonNode n = new ObjectMapper().readTree(f.toFile());
            Map<String, File> files = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.path("files").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                files.put(e.getKey(), new File(e.getValue().path("sha256").asText(), e.getValue().path("size").asLong(-1),
                        URI.create(e.getValue().path("source").asText())));
            }
            return Optional.of(new ImportedSet(n.path("os").asText(), n.path("arch").asText(), n.path("release").asText(),
                    n.path("product_id").asText(), n.path("version").asText(), n.path("subarch").asText(), n.path("kflavor").asText(),
                    URI.create(n.path("mirror").asText()), files, Instant.parse(n.path("imported_at").asText())));
        } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The sidecar as JSON text. */
    public String toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.put("os", os).put("arch", arch).put("release", release).put("product_id", productId).put("version", version)
                .put("subarch", subarch).put("kflavor", kflavor).put("mirror", mirror.toString()).put("imported_at", importedAt.toString());
        ObjectNode fs = n.putObject("files");
        new TreeMap<>(files).forEach((k, v) -> fs.putObject(k).put("sha256", v.sha256()).put("size", v.size()).put("source", v.source().toString()));
        try {
            return m.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
