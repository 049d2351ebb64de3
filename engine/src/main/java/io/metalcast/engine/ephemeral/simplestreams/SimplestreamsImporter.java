package io.metalcast.engine.ephemeral.simplestreams;

import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.FileAction;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.FileReport;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.Outcome;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.ProductReport;
import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports ephemeral images from an unsigned simplestreams mirror (the {@code streams/v1/index.json} + products format of
 * images.maas.io) into {@code data_dir/ephemeral/<os>/<arch>/<release>/{boot-kernel,boot-initrd,squashfs}}, the layout
 * {@code EphemeralCatalog} reads.
 *
 * <p>For each selected os/arch/release one product is imported: the one with the generic kernel flavour (preferring a
 * {@code ga-} subarch), at its newest version (largest serial by string order). Each file is downloaded into
 * {@code data_dir/tmp/}, bounded by its declared size, its sha256 checked, fsynced and renamed into a new set directory
 * {@code data_dir/ephemeral/.sets/<os>/<arch>/<release>/<serial>-<n>/} next to an {@code .imported.json} sidecar.
 * Only when all three files are verified (and the {@link ImportListener#check} accepted them) does the release path,
 * a symbolic link to the set directory, change, by one atomic rename of a new link over the old one: readers see either
 * the whole previous set or the whole new one. Files whose sha256 is already in the current set are hard-linked, not
 * downloaded; a set whose three files are all current is left alone (UNCHANGED).
 *
 * <p>Blocking and serialised (one import at a time per importer): call it on a blocking executor. Interrupting the
 * thread stops the import; the set being built is removed and the previous one stays.
 */
public final class SimplestreamsImporter {
    /** The file types imported, which are also the file names in a release directory. */
    public static final List<String> FTYPES = List.of("boot-kernel", "boot-initrd", "squashfs");
    /** Where set directories live under {@code data_dir/ephemeral/} (hidden from the catalog by its leading dot). */
    public static final String SETS = ".sets";

    private static final Logger log = LoggerFactory.getLogger(SimplestreamsImporter.class);
    private static final String SHA256 = "[0-9a-f]{64}";

    private final ImporterOptions options;
    private final ImportListener listener;
    private final Clock clock;
    private final HttpClient http;
    private final StreamsParser parser = new StreamsParser();
    private final ReentrantLock lock = new ReentrantLock();

    public SimplestreamsImporter(ImporterOptions options, ImportListener listener, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = HttpClient.newBuilder()
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** Whether an import is running now. */
    public boolean isImporting() {
        return lock.isLocked();
    }

    /**
     * Imports the selection from the mirror into {@code dataDir}.
     *
     * @param mirror an {@code http(s)://} or {@code file:} URL of the mirror root or of its {@code streams/v1/<name>.json}
     *               (see {@link MirrorLocation#toUri(String)} for a plain directory path)
     * @return what happened per product; per-product failures are in the report, not thrown
     * @throws SimplestreamsException when the mirror as a whole is unusable: BAD_LOCATION, NOT_FOUND (no index),
     *                                SIGNED_ONLY (only {@code .sjson}), MALFORMED or TRANSFER (the entry file)
     * @throws IOException            when {@code data_dir} cannot be written
     * @throws InterruptedException   when the thread was interrupted (the import stops cleanly)
     */
    public ImportReport importImages(URI mirror, Selection selection, Path dataDir) throws IOException, InterruptedException {
        Objects.requireNonNull(selection, "selection");
        lock.lockInterruptibly();
        try {
            return run(MirrorLocation.of(mirror), selection, dataDir.toAbsolutePath().normalize());
        } finally {
            lock.unlock();
        }
    }

    private ImportReport run(MirrorLocation location, Selection selection, Path dataDir) throws IOException, InterruptedException {
        Instant started = clock.instant();
        Path tmp = dataDir.resolve("tmp");
        Files.createDirectories(tmp);
        Mirror mirror = location.isLocal() ? new LocalMirror(location) : new HttpMirror(location, http, options.idleTimeout());
        List<String> warnings = new ArrayList<>();
        List<StreamProduct> products = new ArrayList<>();
        StreamDocument entry = readEntry(mirror, tmp);
        if (entry instanceof ProductsFile pf) {
            products.addAll(pf.products());
        } else if (entry instanceof StreamIndex index) {
            for (StreamIndex.IndexEntry e : index.entries()) {
                if (!e.format().isEmpty() && !e.format().equals("products:1.0")) {
                    continue;
                }
                if (e.path().endsWith(".sjson")) {
                    warnings.add(e.path() + ": " + signedMessage());
                    continue;
                }
                try {
                    StreamDocument d = readDocument(mirror, e.path(), tmp);
                    if (d instanceof ProductsFile pf) {
                        products.addAll(pf.products());
                    } else {
                        warnings.add(e.path() + ": an index where a products file was expected");
                    }
                } catch (SimplestreamsException ex) {
                    warnings.add(e.path() + ": " + ex.getMessage());
                } catch (IllegalArgumentException ex) {
                    warnings.add(e.contentId() + ": " + ex.getMessage());
                }
            }
        }
        warnings.forEach(w -> log.warn("simplestreams {}: {}", location.root(), w));

        Map<List<String>, List<StreamProduct>> byTarget = new LinkedHashMap<>();
        for (String release : selection.releases()) {
            for (String arch : selection.arches()) {
                byTarget.put(List.of(arch, release), new ArrayList<>());
            }
        }
        for (StreamProduct p : products) {
            if (selection.selects(p.os(), p.arch(), p.release())) {
                byTarget.get(List.of(p.arch(), p.release())).add(p);
            }
        }
        List<ProductReport> reports = new ArrayList<>();
        for (Map.Entry<List<String>, List<StreamProduct>> t : byTarget.entrySet()) {
            String arch = t.getKey().get(0);
            String release = t.getKey().get(1);
            List<StreamProduct> found = t.getValue();
            Optional<StreamProduct> chosen = found.stream()
                    .filter(p -> p.kflavor().equals(StreamProduct.GENERIC))
                    .min(Comparator.comparing((StreamProduct p) -> !p.subarch().startsWith("ga-"))
                            .thenComparing(StreamProduct::subarch).thenComparing(StreamProduct::id));
            if (chosen.isEmpty()) {
                String flavours = found.isEmpty() ? "" : " (only " + String.join(", ", found.stream().map(StreamProduct::kflavor).distinct().toList())
                        + " kernels)";
                String more = warnings.isEmpty() ? "" : "; some stream files could not be read: " + String.join("; ", warnings);
                reports.add(new ProductReport("", selection.os(), arch, release, "", "", "", Outcome.ABSENT,
                        "no product with a generic kernel for " + selection.os() + "/" + arch + "/" + release + " in " + location.root()
                                + flavours + more, List.of()));
            } else {
                reports.add(importProduct(mirror, chosen.get(), dataDir, tmp));
            }
            for (StreamProduct p : found) {
                if (chosen.isPresent() && p == chosen.get()) {
                    continue;
                }
                String reason = !p.kflavor().equals(StreamProduct.GENERIC)
                        ? "kflavor " + p.kflavor() + ": only the generic kernel is imported (a flavoured kernel shares the subarch and would replace it)"
                        : "subarch " + p.subarch() + ": " + chosen.get().subarch() + " is imported for this release";
                reports.add(new ProductReport(p.id(), p.os(), p.arch(), p.release(), p.subarch(), p.kflavor(),
                        p.newest().map(StreamVersion::serial).orElse(""), Outcome.SKIPPED, reason, List.of()));
            }
        }
        return new ImportReport(location.root(), started, clock.instant(), reports, warnings);
    }

    private StreamDocument readEntry(Mirror mirror, Path tmp) throws IOException, InterruptedException {
        MirrorLocation loc = mirror.location();
        if (loc.entry().endsWith(".sjson")) {
            throw new SimplestreamsException(Kind.SIGNED_ONLY, loc.resolve(loc.entry()) + ": " + signedMessage());
        }
        try {
            return readDocument(mirror, loc.entry(), tmp);
        } catch (SimplestreamsException e) {
            if (e.kind() != Kind.NOT_FOUND || loc.entryNamed()) {
                throw e;
            }
            if (exists(mirror, MirrorLocation.SIGNED_INDEX, tmp)) {
                throw new SimplestreamsException(Kind.SIGNED_ONLY, "mirror " + loc.root() + " has only " + MirrorLocation.SIGNED_INDEX
                        + ": " + signedMessage(), e);
            }
            throw new SimplestreamsException(Kind.NOT_FOUND, "mirror " + loc.root() + ": no " + MirrorLocation.INDEX
                    + " (expected: the root of a simplestreams mirror, or the URL of its streams/v1/index.json)", e);
        }
    }

    private static String signedMessage() {
        return "signature verification of signed simplestreams (.sjson) is not implemented yet, and unverified signed text is "
                + "never used; an unsigned mirror with streams/v1/index.json and .json products files is needed";
    }

    private boolean exists(Mirror mirror, String path, Path tmp) throws IOException, InterruptedException {
        Path t = Files.createTempFile(tmp, "stream-", ".probe");
        try (DownloadSink sink = new DownloadSink(t, options.maxMetadataBytes(), path)) {
            mirror.fetch(path, sink);
            return true;
        } catch (SimplestreamsException e) {
            return e.kind() != Kind.NOT_FOUND;
        } finally {
            Files.deleteIfExists(t);
        }
    }

    private StreamDocument readDocument(Mirror mirror, String path, Path tmp) throws IOException, InterruptedException {
        MirrorPaths.check(path);
        Path t = Files.createTempFile(tmp, "stream-", ".json");
        try {
            try (DownloadSink sink = new DownloadSink(t, options.maxMetadataBytes(), path)) {
                mirror.fetch(path, sink);
            }
            try (InputStream in = Files.newInputStream(t)) {
                return parser.parse(in, mirror.uri(path).toString());
            }
        } finally {
            Files.deleteIfExists(t);
        }
    }

    /** A product that cannot be imported; its message is the report's reason. */
    private static final class ProductFailure extends Exception {
        ProductFailure(String message) {
            super(message);
        }
    }

    private ProductReport importProduct(Mirror mirror, StreamProduct p, Path dataDir, Path tmp) throws InterruptedException {
        String serial = p.newest().map(StreamVersion::serial).orElse("");
        try {
            StreamVersion v = p.newest().orElseThrow(() -> new ProductFailure("no versions"));
            Map<String, StreamItem> items = new LinkedHashMap<>();
            for (String ftype : FTYPES) {
                items.put(ftype, item(p, v, ftype));
            }
            Installed done = install(mirror, p, v, items, dataDir, tmp);
            Outcome outcome = done.unchanged() ? Outcome.UNCHANGED : Outcome.IMPORTED;
            log.info("simplestreams: {} {} version {}: {}", p.id(), p.os() + "/" + p.arch() + "/" + p.release(), serial, outcome);
            return new ProductReport(p.id(), p.os(), p.arch(), p.release(), p.subarch(), p.kflavor(), serial, outcome, "", done.files());
        } catch (ProductFailure e) {
            return failed(p, serial, e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            return failed(p, serial, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static ProductReport failed(StreamProduct p, String serial, String reason) {
        log.warn("simplestreams: {} version {} failed: {}", p.id(), serial, reason);
        return new ProductReport(p.id(), p.os(), p.arch(), p.release(), p.subarch(), p.kflavor(), serial, Outcome.FAILED, reason, List.of());
    }

    private static StreamItem item(StreamProduct p, StreamVersion v, String ftype) throws ProductFailure {
        List<StreamItem> candidates = v.byFtype(ftype).stream().filter(i -> i.kflavor().equals(StreamProduct.GENERIC)).toList();
        if (candidates.isEmpty()) {
            if (ftype.equals("squashfs") && !v.byFtype("root-image.gz").isEmpty()) {
                throw new ProductFailure("version " + v.serial() + " has a root-image.gz and no squashfs: root-image.gz (old releases) is not imported");
            }
            throw new ProductFailure("version " + v.serial() + " has no " + ftype + " item");
        }
        StreamItem i = candidates.get(0);
        if (!i.sha256().matches(SHA256)) {
            throw new ProductFailure(ftype + " of version " + v.serial() + ": sha256 '" + i.sha256() + "' (expected: 64 hex digits)");
        }
        if (i.size() < 0) {
            throw new ProductFailure(ftype + " of version " + v.serial() + ": no size");
        }
        try {
            MirrorPaths.check(i.path());
        } catch (IllegalArgumentException e) {
            throw new ProductFailure(ftype + " of version " + v.serial() + ": " + e.getMessage());
        }
        return i;
    }

    private record Installed(boolean unchanged, List<FileReport> files) {
    }

    private Installed install(Mirror mirror, StreamProduct p, StreamVersion v, Map<String, StreamItem> items, Path dataDir, Path tmp)
            throws IOException, InterruptedException, ProductFailure {
        Path ephemeral = dataDir.resolve("ephemeral");
        Path releaseDir = ephemeral.resolve(p.os()).resolve(p.arch()).resolve(p.release());
        Optional<ImportedSet> current = Files.isDirectory(releaseDir) ? ImportedSet.read(releaseDir) : Optional.empty();

        boolean allCurrent = true;
        for (Map.Entry<String, StreamItem> e : items.entrySet()) {
            allCurrent &= present(releaseDir, e.getKey(), e.getValue(), current);
        }
        if (allCurrent) {
            List<FileReport> files = new ArrayList<>();
            items.forEach((ftype, i) -> files.add(new FileReport(ftype, i.sha256(), i.size(), FileAction.REUSED, mirror.uri(i.path()))));
            return new Installed(true, files);
        }

        Path setsDir = ephemeral.resolve(SETS).resolve(p.os()).resolve(p.arch()).resolve(p.release());
        Files.createDirectories(setsDir);
        Path setDir = Files.createTempDirectory(setsDir, v.serial() + "-");
        boolean placed = false;
        try {
            List<FileReport> files = new ArrayList<>();
            Map<String, ImportedSet.File> recorded = new LinkedHashMap<>();
            for (Map.Entry<String, StreamItem> e : items.entrySet()) {
                String ftype = e.getKey();
                StreamItem i = e.getValue();
                Path target = setDir.resolve(ftype);
                FileAction action;
                if (present(releaseDir, ftype, i, current)) {
                    reuse(releaseDir.resolve(ftype), target);
                    action = FileAction.REUSED;
                } else {
                    download(mirror, p, i, tmp, target);
                    action = FileAction.DOWNLOADED;
                }
                URI source = mirror.uri(i.path());
                files.add(new FileReport(ftype, i.sha256(), i.size(), action, source));
                recorded.put(ftype, new ImportedSet.File(i.sha256(), i.size(), source));
            }
            ImportedSet sidecar = new ImportedSet(p.os(), p.arch(), p.release(), p.id(), v.serial(), p.subarch(), p.kflavor(),
                    mirror.location().root(), recorded, clock.instant());
            writeDurably(setDir.resolve(ImportedSet.FILE_NAME), sidecar.toJson().getBytes(StandardCharsets.UTF_8));
            fsyncDir(setDir);
            try {
                listener.check(p.os(), p.arch(), p.release(), setDir);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new ProductFailure("refused by the import check: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            swap(releaseDir, setDir, tmp);
            placed = true;
            removeOtherSets(setsDir, setDir);
            try {
                listener.imported(p.os(), p.arch(), p.release(), releaseDir);
            } catch (RuntimeException e) {
                log.warn("simplestreams: import listener failed for {}", releaseDir, e);
            }
            return new Installed(false, files);
        } finally {
            if (!placed) {
                deleteTree(setDir);
            }
        }
    }

    /** Whether {@code dir/ftype} already holds the item: by the sidecar of a set we wrote, else by hashing the file. */
    private static boolean present(Path dir, String ftype, StreamItem item, Optional<ImportedSet> current) throws IOException {
        Path f = dir.resolve(ftype);
        if (!Files.isRegularFile(f) || Files.size(f) != item.size()) {
            return false;
        }
        if (current.isPresent()) {
            ImportedSet.File known = current.get().files().get(ftype);
            return known != null && known.sha256().equals(item.sha256()) && known.size() == item.size();
        }
        return Sha256.ofFile(f).equals(item.sha256());
    }

    private static void reuse(Path existing, Path target) throws IOException {
        try {
            Files.createLink(target, existing.toRealPath());
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(existing, target, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    private void download(Mirror mirror, StreamProduct p, StreamItem item, Path tmp, Path target) throws IOException, InterruptedException {
        String what = item.ftype() + " of " + p.id();
        long usable = Files.getFileStore(tmp).getUsableSpace();
        if (usable < item.size()) {
            throw new SimplestreamsException(Kind.NO_SPACE, what + ": " + item.size() + " bytes needed, " + usable + " free under " + tmp);
        }
        Path part = Files.createTempFile(tmp, "ephemeral-", ".part");
        try {
            String sha;
            try (DownloadSink sink = new DownloadSink(part, item.size(), what)) {
                mirror.fetch(item.path(), sink);
                if (sink.count() != item.size()) {
                    throw new SimplestreamsException(Kind.TRUNCATED, what + ": " + sink.count() + " bytes received (expected: " + item.size() + ")");
                }
                sha = sink.finish();
            }
            if (!sha.equals(item.sha256())) {
                throw new SimplestreamsException(Kind.SHA256_MISMATCH, what + ": sha256 " + sha + " (expected: " + item.sha256() + ")");
            }
            move(part, target);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * Points {@code releaseDir} (a symbolic link) at {@code setDir} by renaming a new link over it: one atomic step. A
     * real directory in its place (dropped there by hand or by the lab) is first moved aside, so there is a moment
     * without a set, once.
     */
    private static void swap(Path releaseDir, Path setDir, Path tmp) throws IOException {
        Path archDir = releaseDir.getParent();
        Files.createDirectories(archDir);
        Path link = tmp.resolve("ephemeral-link-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        Files.createSymbolicLink(link, archDir.relativize(setDir));
        Path aside = null;
        try {
            if (!Files.isSymbolicLink(releaseDir) && Files.exists(releaseDir)) {
                aside = tmp.resolve("ephemeral-old-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
                move(releaseDir, aside);
            }
            try {
                move(link, releaseDir);
            } catch (IOException e) {
                if (aside != null) {
                    move(aside, releaseDir);
                    aside = null;
                }
                throw e;
            }
            fsyncDir(archDir);
        } finally {
            Files.deleteIfExists(link);
            if (aside != null) {
                deleteTree(aside);
            }
        }
    }

    private static void removeOtherSets(Path setsDir, Path keep) {
        try (Stream<Path> s = Files.list(setsDir)) {
            for (Path d : s.toList()) {
                if (!d.equals(keep)) {
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            log.warn("simplestreams: cannot remove old sets under {}", setsDir, e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("simplestreams: " + from + " and " + to + " are not on one file system", e);
        }
    }

    private static void writeDurably(Path file, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse to open a directory for fsync; the renames themselves are atomic.
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        } catch (IOException e) {
            log.warn("simplestreams: cannot remove {}", root, e);
        }
    }
}
