package io.metalcast.engine.ephemeral;

import io.metalcast.engine.config.EngineConfig;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport;
import io.metalcast.engine.ephemeral.simplestreams.ImporterOptions;
import io.metalcast.engine.ephemeral.simplestreams.MirrorLocation;
import io.metalcast.engine.ephemeral.simplestreams.Selection;
import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsImporter;
import io.metalcast.engine.error.Rejected;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ephemeral imports the API starts ({@code boot-resources/?op=import}): one at a time, from {@code images.source},
 * for {@code images.releases} and {@code images.arches}, run on the blocking executor and stoppable by interrupt.
 */
public final class EphemeralImports {
    private static final Logger log = LoggerFactory.getLogger(EphemeralImports.class);

    private final EngineConfig.Images images;
    private final Path dataDir;
    private final ExecutorService blocking;
    private final InitramfsCheck check = new InitramfsCheck();
    private final SimplestreamsImporter importer;
    private Future<?> running;
    private volatile Optional<ImportReport> last = Optional.empty();

    public EphemeralImports(EngineConfig.Images images, Path dataDir, ExecutorService blocking, Clock clock) {
        this.images = Objects.requireNonNull(images, "images");
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.importer = new SimplestreamsImporter(ImporterOptions.defaults(), check, clock);
    }

    /**
     * Starts an import from {@code images.source}.
     *
     * @throws Rejected INVALID when no source is configured, CONFLICT when an import is running
     */
    public synchronized void start() {
        if (images.source().isEmpty()) {
            throw new Rejected(Rejected.Kind.INVALID, "images.source: not set (expected: a simplestreams mirror URL or directory in"
                    + " the engine's config; or run ./metalcast import MIRROR)");
        }
        if (isImporting()) {
            throw new Rejected(Rejected.Kind.CONFLICT, "an import of boot resources is already running (stop it with op=stop_import)");
        }
        URI mirror = MirrorLocation.toUri(images.source());
        Selection selection = Selection.ubuntu(images.releases(), images.arches());
        running = blocking.submit(() -> {
            try {
                ImportReport report = importer.importImages(mirror, selection, dataDir);
                last = Optional.of(report);
                for (String line : describe(report, check.warnings())) {
                    log.info("import: {}", line);
                }
            } catch (InterruptedException e) {
                log.info("import from {} stopped", mirror);
            } catch (Exception e) {
                log.warn("import from {} failed: {}", mirror, e.getMessage());
            }
        });
    }

    public synchronized boolean isImporting() {
        return (running != null && !running.isDone()) || importer.isImporting();
    }

    /** Interrupts a running import (it stops cleanly, the sets in place stay); returns whether one was running. */
    public synchronized boolean stop() {
        boolean was = isImporting();
        if (running != null) {
            running.cancel(true);
        }
        return was;
    }

    /** The report of the last import that finished. */
    public Optional<ImportReport> lastReport() {
        return last;
    }

    /**
     * The report as lines for a person: one per product (outcome, release, arch, version, reason), then the mirror's
     * warnings and the initramfs warnings.
     */
    public static List<String> describe(ImportReport report, Map<String, List<String>> initramfs) {
        List<String> out = new ArrayList<>();
        for (ImportReport.ProductReport p : report.products()) {
            StringBuilder b = new StringBuilder();
            b.append(p.outcome()).append(' ').append(p.os()).append('/').append(p.release()).append(' ').append(p.arch());
            if (!p.subarch().isEmpty()) {
                b.append(' ').append(p.subarch());
            }
            if (!p.kflavor().isEmpty() && !p.kflavor().equals("generic")) {
                b.append(' ').append(p.kflavor());
            }
            if (!p.version().isEmpty()) {
                b.append(" version ").append(p.version());
            }
            if (!p.productId().isEmpty()) {
                b.append(" (").append(p.productId()).append(')');
            }
            if (!p.reason().isEmpty()) {
                b.append(": ").append(p.reason());
            }
            out.add(b.toString());
        }
        for (String w : report.warnings()) {
            out.add("warning: " + w);
        }
        initramfs.forEach((set, warnings) -> warnings.forEach(w -> out.add("warning: " + set + " initramfs: " + w)));
        return out;
    }

    /** Whether the report has at least one usable set (IMPORTED or UNCHANGED). */
    public static boolean usable(ImportReport report) {
        return report.products().stream().anyMatch(p -> p.outcome() == ImportReport.Outcome.IMPORTED
                || p.outcome() == ImportReport.Outcome.UNCHANGED);
    }

    /** Runs one import on the calling thread (the {@code import} command). */
    public static ImportReport runOnce(URI mirror, Selection selection, Path dataDir, InitramfsCheck check, Clock clock) throws Exception {
        return new SimplestreamsImporter(ImporterOptions.defaults(), check, clock).importImages(mirror, selection, dataDir);
    }
}
