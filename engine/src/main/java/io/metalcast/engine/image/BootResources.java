package io.metalcast.engine.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.Finding;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.ImageInspector;
import io.metalcast.curtin.image.Inspection;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.ephemeral.simplestreams.ImportedSet;
import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import io.metalcast.engine.store.BootResourceRepository;
import io.metalcast.engine.store.Database;
import io.metalcast.engine.store.StoreException;
import io.metalcast.engine.store.UploadRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Boot resources: custom image uploads (validated, stored, then listed) and synced ephemeral images. Blocking.
 */
public final class BootResources {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BootResources.class);
    /** Operating systems MAAS knows as the first part of a resource name. */
    private static final Set<String> KNOWN_OS = Set.of("custom", "ubuntu", "centos", "rhel", "ol", "windows", "esxi");
    private static final Set<String> BASE_OS = Set.of("ubuntu", "centos", "rhel", "ol");
    private static final String PART = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
    private static final DateTimeFormatter VERSION = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final Database db;
    private final BootResourceRepository repo = new BootResourceRepository();
    private final ImageStore store;
    private final EphemeralCatalog ephemerals;
    private final BlockMaps blockMaps;
    private final RawViews rawViews;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    /** Running sha256 of chunked uploads by file id, valid for the bytes it counts; rebuilt from the partial file if lost. */
    private final Map<Long, Hash> hashes = new ConcurrentHashMap<>();
    /** File ids with a chunk being received: one chunk at a time per file. */
    private final Set<Long> busy = ConcurrentHashMap.newKeySet();

    /**
     * @param blockMaps makes the block maps of raw images as they are stored, before they are listed complete
     * @param rawViews  makes the raw views of compressed disk images the same way
     */
    public BootResources(Database db, ImageStore store, EphemeralCatalog ephemerals, BlockMaps blockMaps, RawViews rawViews, Clock clock) {
        this.db = db;
        this.store = store;
        this.ephemerals = ephemerals;
        this.blockMaps = blockMaps;
        this.rawViews = rawViews;
        this.clock = clock;
    }

    public ImageStore store() {
        return store;
    }

    /** A checked upload form: what {@link #upload} will write. */
    public record UploadForm(String name, String architecture, String title, String baseImage, ImageFiletype filetype,
                             Optional<String> sha256, Optional<Long> size) {
    }

    /**
     * Checks the form fields of an upload (everything but the content).
     *
     * @throws Rejected INVALID naming the field, the value and what was expected
     */
    public UploadForm check(Map<String, String> fields) {
        String name = fields.getOrDefault("name", "").trim();
        if (name.isEmpty()) {
            throw Rejected.missing("name", "a name such as custom/sample");
        }
        if (!name.contains("/")) {
            name = "custom/" + name;
        }
        if (!name.matches(PART + "/" + PART)) {
            throw Rejected.invalid("name", name, "<os>/<name> of letters, digits and ._-");
        }
        String os = name.substring(0, name.indexOf('/'));
        if (!KNOWN_OS.contains(os)) {
            throw Rejected.invalid("name", name, "an os of " + sorted(KNOWN_OS) + " before the /");
        }
        if (!os.equals("custom")) {
            throw Rejected.invalid("name", name, "custom/<name>; uploads of other operating systems come later");
        }
        String arch = fields.getOrDefault("architecture", "").trim();
        if (arch.isEmpty()) {
            throw Rejected.missing("architecture", "<arch>/<subarch> such as amd64/generic");
        }
        if (!arch.matches("(amd64|arm64|i386|armhf|ppc64el|s390x)/[a-z0-9][a-z0-9.-]{0,31}")) {
            throw Rejected.invalid("architecture", arch, "<arch>/<subarch> such as amd64/generic");
        }
        String base = fields.getOrDefault("base_image", "").trim();
        if (base.isEmpty()) {
            throw Rejected.missing("base_image", "<os>/<series> such as ubuntu/jammy for a custom/ image");
        }
        int slash = base.indexOf('/');
        if (slash < 0 || !BASE_OS.contains(base.substring(0, slash)) || !base.substring(slash + 1).matches("[a-z0-9][a-z0-9.]{0,31}")) {
            throw Rejected.invalid("base_image", base, "<os>/<series> with os one of " + sorted(BASE_OS));
        }
        String ft = fields.getOrDefault("filetype", "tgz").trim();
        ImageFiletype filetype = ImageFiletype.ofUploadName(ft).orElseThrow(() -> Rejected.invalid("filetype", ft,
                "one of " + Arrays.stream(ImageFiletype.values()).map(ImageFiletype::uploadName).collect(Collectors.joining(", "))));
        String title = fields.getOrDefault("title", "").trim();
        if (title.length() > 255) {
            throw Rejected.invalid("title", title.substring(0, 40) + "...", "at most 255 characters");
        }
        Optional<String> sha = Optional.ofNullable(fields.get("sha256")).map(String::trim).filter(s -> !s.isEmpty());
        if (sha.isPresent() && !sha.get().matches("[0-9a-fA-F]{64}")) {
            throw Rejected.invalid("sha256", sha.get(), "64 hex digits");
        }
        Optional<String> sizeText = Optional.ofNullable(fields.get("size")).map(String::trim).filter(s -> !s.isEmpty());
        Optional<Long> size;
        try {
            size = sizeText.map(Long::parseLong);
        } catch (NumberFormatException e) {
            throw Rejected.invalid("size", sizeText.get(), "a number of bytes");
        }
        if (size.isPresent() && size.get() < 1) {
            throw Rejected.invalid("size", sizeText.get(), "1 or more bytes");
        }
        return new UploadForm(name, arch, title.isEmpty() ? name : title, base, filetype, sha.map(s -> s.toLowerCase()), size);
    }

    /**
     * Stores the content (a temporary file under the store's tmp dir; moved or deleted) and then records the resource.
     * Nothing is listed before the file is complete.
     */
    public BootResource upload(UploadForm form, Path content) {
        StoredFile stored;
        try {
            if (Files.size(content) == 0) {
                Files.deleteIfExists(content);
                throw Rejected.invalid("content", "0 bytes", "a non-empty image file");
            }
            stored = store.put(content);
        } catch (IOException e) {
            throw new UncheckedIOException("upload: cannot store content: " + e.getMessage(), e);
        }
        if (form.sha256().isPresent() && !form.sha256().get().equals(stored.sha256())) {
            forgetIfUnreferenced(stored.sha256());
            throw Rejected.invalid("sha256", form.sha256().get(), stored.sha256() + ", the sha256 of the content sent");
        }
        if (form.size().isPresent() && form.size().get() != stored.size()) {
            forgetIfUnreferenced(stored.sha256());
            throw Rejected.invalid("size", String.valueOf(form.size().get()), stored.size() + ", the size of the content sent");
        }
        String inspection;
        try {
            inspection = inspectStored(stored.sha256(), form.filetype(), form.baseImage());
        } catch (RuntimeException e) {
            forgetIfUnreferenced(stored.sha256());
            throw e;
        }
        mapOrView(stored.sha256(), form.filetype());
        StoredFile done = stored;
        BootResource out = db.tx(c -> {
            long[] ids = record(c, form, done.sha256(), done.size(), true);
            repo.setInspection(c, ids[1], inspection);
            return view(c, ids[0]);
        });
        return withBlockMaps(out);
    }

    /**
     * Creates a resource version whose content comes later in chunks ({@link #append}): the form must declare sha256
     * and size. When a complete file with that sha256 is already stored the new version is complete at once (dedup).
     *
     * @throws Rejected INVALID for a missing sha256 or size, or a size other than the one stored for that sha256
     */
    public BootResource create(UploadForm form) {
        String sha = form.sha256().orElseThrow(() -> Rejected.missing("sha256",
                "the content's sha256 (64 hex) with its size, or the content itself as a part named content"));
        long size = form.size().orElseThrow(() -> Rejected.missing("size",
                "the content's size in bytes with its sha256, or the content itself as a part named content"));
        boolean stored = db.tx(c -> {
            List<Long> sizes = repo.completeSizes(c, sha);
            boolean known = !sizes.isEmpty() && store.contains(sha);
            if (known && !sizes.contains(size)) {
                throw Rejected.invalid("size", String.valueOf(size), sizes.get(0) + ", the size already stored for sha256 " + sha);
            }
            return known;
        });
        // Dedup: the stored content is inspected again unless an inspection for the same filetype and base image exists.
        String inspection = stored ? inspectStored(sha, form.filetype(), form.baseImage()) : null;
        if (stored) {
            mapOrView(sha, form.filetype());
        }
        return withBlockMaps(db.tx(c -> {
            boolean known = stored && store.contains(sha);
            long[] ids = record(c, form, sha, size, known);
            if (known) {
                repo.setInspection(c, ids[1], inspection);
            } else {
                String partial = "chunked-" + ids[1] + ".part";
                try {
                    Files.deleteIfExists(store.tmpDir().resolve(partial));
                    Files.createFile(store.tmpDir().resolve(partial));
                } catch (IOException e) {
                    throw new UncheckedIOException("upload: cannot create " + partial + ": " + e.getMessage(), e);
                }
                repo.insertUpload(c, new UploadRecord(ids[1], partial, 0, clock.instant()));
            }
            return view(c, ids[0]);
        }));
    }

    /** Inserts or updates the resource and adds a new version's file; returns {resource id, file id}. */
    private long[] record(Connection c, UploadForm form, String sha256, long size, boolean complete) throws SQLException {
        Instant now = clock.instant();
        BootResourceRecord r;
        Optional<BootResourceRecord> existing = repo.find(c, form.name(), form.architecture());
        if (existing.isPresent()) {
            if (!existing.get().type().equals(BootResourceRecord.UPLOADED)) {
                throw new Rejected(Rejected.Kind.CONFLICT, "name: '" + form.name() + "' (expected: a name not used by a synced image)");
            }
            r = new BootResourceRecord(existing.get().id(), BootResourceRecord.UPLOADED, form.name(), form.architecture(), form.title(),
                    form.baseImage(), form.filetype().uploadName(), existing.get().created());
            repo.update(c, r);
        } else {
            BootResourceRecord fresh = new BootResourceRecord(0, BootResourceRecord.UPLOADED, form.name(), form.architecture(),
                    form.title(), form.baseImage(), form.filetype().uploadName(), now);
            r = new BootResourceRecord(repo.insert(c, fresh), fresh.type(), fresh.name(), fresh.architecture(), fresh.title(),
                    fresh.baseImage(), fresh.filetype(), fresh.created());
        }
        List<BootFileRecord> files = repo.files(c, r.id());
        String day = VERSION.format(now);
        Set<String> used = files.stream().map(BootFileRecord::version).collect(Collectors.toSet());
        String version = day;
        for (int n = 1; used.contains(version); n++) {
            version = day + "." + n;
        }
        long fileId = repo.insertFile(c, new BootFileRecord(0, r.id(), version, form.filetype().storedName(), form.filetype().uploadName(),
                sha256, size, complete));
        return new long[] {r.id(), fileId};
    }

    private BootResource view(Connection c, long id) throws SQLException {
        Optional<BootResourceRecord> r = repo.get(c, id);
        if (r.isEmpty()) {
            throw new Rejected(Rejected.Kind.NOT_FOUND, "boot resource: " + id + " (expected: a known id)");
        }
        Map<Long, Long> received = new HashMap<>();
        for (UploadRecord u : repo.uploadsOf(c, id)) {
            received.put(u.fileId(), u.bytesReceived());
        }
        Map<Long, Map<String, Object>> inspections = new HashMap<>();
        repo.inspections(c, id).forEach((fileId, text) -> inspections.put(fileId, parse(text)));
        return new BootResource(r.get(), repo.files(c, id), received, inspections, Map.of());
    }

    /**
     * Deletes an uploaded resource with all its versions; stored files no other resource references and partial
     * uploads are removed from disk.
     *
     * @throws Rejected NOT_FOUND, or CONFLICT for a synced resource
     */
    public void delete(long id) {
        List<String> partials = new ArrayList<>();
        List<String> shas = db.tx(c -> {
            BootResourceRecord r = repo.get(c, id)
                    .orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "boot resource: " + id + " (expected: a known id)"));
            if (!r.type().equals(BootResourceRecord.UPLOADED)) {
                throw new Rejected(Rejected.Kind.CONFLICT, "boot resource " + id + " is " + r.type()
                        + " (expected: an Uploaded resource; synced images are managed by the importer)");
            }
            for (UploadRecord u : repo.uploadsOf(c, id)) {
                partials.add(u.partialName());
                hashes.remove(u.fileId());
            }
            List<String> out = repo.files(c, id).stream().map(BootFileRecord::sha256).distinct().toList();
            repo.delete(c, id);
            return out.stream().filter(sha -> {
                try {
                    return repo.countBySha256(c, sha) == 0;
                } catch (SQLException e) {
                    throw new StoreException("database: " + e.getMessage(), e);
                }
            }).toList();
        });
        try {
            for (String p : partials) {
                Files.deleteIfExists(store.tmpDir().resolve(p));
            }
            for (String sha : shas) {
                store.delete(sha);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("delete: " + e.getMessage(), e);
        }
    }

    /**
     * Inspects a chunked upload's file, now stored and verified, and marks it complete when accepted. When refused,
     * the version (and the resource, if it has no other) is deleted with the stored file unless something else
     * references it.
     *
     * @throws Rejected INVALID {@code content: <what was found and what to send>}, or NOT_FOUND when deleted meanwhile
     */
    private void completeInspected(BootFileRecord file) {
        String inspection;
        try {
            BootResourceRecord r = db.tx(c -> repo.get(c, file.resourceId())).orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND,
                    "upload: file " + file.id() + " was deleted while receiving"));
            ImageFiletype type = ImageFiletype.ofUploadName(file.filetype()).orElseThrow(() -> new IllegalStateException(
                    "file " + file.id() + ": unknown filetype " + file.filetype()));
            inspection = inspectStored(file.sha256(), type, r.baseImage());
            mapOrView(file.sha256(), type);
        } catch (RuntimeException e) {
            db.tx(c -> {
                repo.deleteUpload(c, file.id());
                repo.deleteFile(c, file.id());
                if (repo.files(c, file.resourceId()).isEmpty()) {
                    repo.delete(c, file.resourceId());
                }
                return null;
            });
            forgetIfUnreferenced(file.sha256());
            throw e;
        }
        int n = db.tx(c -> {
            repo.deleteUpload(c, file.id());
            repo.setInspection(c, file.id(), inspection);
            return repo.markComplete(c, file.id());
        });
        if (n == 0) {
            forgetIfUnreferenced(file.sha256());
            throw new Rejected(Rejected.Kind.NOT_FOUND, "upload: file " + file.id() + " was deleted while receiving");
        }
    }

    /**
     * What the inspection of the stored file {@code sha256}, sent as {@code filetype} for {@code baseImage}, found, as
     * JSON text to record; an earlier accepted inspection of the same content, filetype and base image is reused.
     * Blocking and slow for large images (it reads the image).
     *
     * @throws Rejected INVALID {@code content: <what was found and what to send instead>} when the verdict refuses
     */
    private String inspectStored(String sha256, ImageFiletype filetype, String baseImage) {
        for (String earlier : db.tx(c -> repo.inspectionsBySha256(c, sha256))) {
            Map<String, Object> m = parse(earlier);
            if (filetype.uploadName().equals(m.get("declared_filetype")) && baseImage.equals(m.get("base_image"))) {
                return earlier;
            }
        }
        Inspection found;
        try {
            found = ImageInspector.inspect(store.path(sha256), filetype, store.tmpDir());
        } catch (IOException e) {
            throw new UncheckedIOException("inspection: cannot read " + sha256 + ": " + e.getMessage(), e);
        }
        Inspection.Verdict verdict = found.verdict(baseImage);
        if (!verdict.accepted()) {
            log.info("upload refused ({} as {}, base_image {}): {}", sha256, filetype.uploadName(), baseImage, verdict.errorMessage());
            throw new Rejected(Rejected.Kind.INVALID, "content: " + verdict.errorMessage());
        }
        Map<String, Object> m = new LinkedHashMap<>(found.toMap());
        m.put("base_image", baseImage);
        m.put("accepted", true);
        m.put("findings", verdict.findings().stream().map(Finding::toMap).toList());
        m.put("warnings", verdict.findings().stream().filter(f -> !f.refuses()).map(Finding::message).toList());
        try {
            return json.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("inspection: " + e.getMessage(), e);
        }
    }

    /**
     * Makes the block map of an accepted raw image unless it has one, or the raw view (decompressed, with its map) of
     * an accepted compressed disk image unless it has one: what lets the installer write the image block by block.
     */
    private void mapOrView(String sha256, ImageFiletype filetype) {
        if (filetype == ImageFiletype.DDRAW) {
            blockMaps.ensure(sha256);
        } else if (RawViews.applies(filetype)) {
            rawViews.ensure(sha256, filetype);
        }
    }

    /**
     * Maps every complete raw image stored without a block map (stored before maps were made, or whose map was
     * removed). Blocking and slow (it reads each such image): run it in the background at start.
     *
     * @return how many maps were made
     */
    public int mapUnmapped() {
        return blockMaps.backfill(db.tx(c -> repo.completeSha256ByFiletype(c, ImageFiletype.DDRAW.uploadName())));
    }

    /**
     * Makes the raw view of every complete compressed disk image stored without one (stored before views were made,
     * refused for lack of space then, or whose view was removed). Blocking and slow (it decompresses each such image):
     * run it in the background at start, after {@link #mapUnmapped}.
     *
     * @return how many views were made
     */
    public int viewUnviewed() {
        Map<String, ImageFiletype> images = new LinkedHashMap<>();
        db.tx(c -> {
            for (ImageFiletype t : ImageFiletype.values()) {
                if (RawViews.applies(t)) {
                    for (String sha : repo.completeSha256ByFiletype(c, t.uploadName())) {
                        images.putIfAbsent(sha, t);
                    }
                }
            }
            return null;
        });
        return rawViews.backfill(images);
    }

    /** The raw view of a compressed disk image, when it has a complete one. Blocking (reads its sidecar). */
    public Optional<StoredRawView> rawView(DeployableImage image) {
        return RawViews.applies(image.filetype()) ? rawViews.find(image.file().sha256()) : Optional.empty();
    }

    /** The block map of a raw image, when it has one. Blocking (reads the map once after it changes). */
    public Optional<StoredBlockMap> blockMap(DeployableImage image) {
        return image.filetype() == ImageFiletype.DDRAW ? blockMaps.find(image.file().sha256()) : Optional.empty();
    }

    private Map<String, Object> parse(String text) {
        try {
            return json.readValue(text, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    private void forgetIfUnreferenced(String sha256) {
        if (db.tx(c -> repo.countBySha256(c, sha256)) == 0) {
            try {
                store.delete(sha256);
            } catch (IOException e) {
                throw new UncheckedIOException("upload: cannot remove " + sha256 + ": " + e.getMessage(), e);
            }
        }
    }

    /** A running sha256 over the first {@code bytes} bytes of a partial upload. */
    private static final class Hash {
        final MessageDigest digest;
        final long bytes;

        Hash(MessageDigest digest, long bytes) {
            this.digest = digest;
            this.bytes = bytes;
        }
    }

    /**
     * Starts receiving one chunk of {@code length} bytes for a chunked upload; the chunk is appended in arrival order
     * (no offsets, as MAAS does). Only one chunk per file at a time.
     *
     * @throws Rejected NOT_FOUND (no such resource or file), INVALID (empty chunk, complete file, more than the declared
     *                  size: the upload is then reset to 0 bytes as MAAS discards it), CONFLICT (another chunk in flight)
     */
    public Appender append(long resourceId, long fileId, long length) {
        if (length <= 0) {
            throw Rejected.invalid("Content-Length", String.valueOf(length), "a chunk of 1 or more bytes");
        }
        BootFileRecord f = db.tx(c -> repo.file(c, fileId)).filter(x -> x.resourceId() == resourceId)
                .orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "upload: boot resource " + resourceId + " file " + fileId
                        + " (expected: the upload_uri of a file of that resource)"));
        if (f.complete()) {
            throw new Rejected(Rejected.Kind.INVALID, "file " + fileId + ": already complete (expected: a file still being uploaded)");
        }
        if (!busy.add(fileId)) {
            throw new Rejected(Rejected.Kind.CONFLICT, "file " + fileId + ": another chunk is being received (expected: chunks one after another)");
        }
        try {
            UploadRecord u = db.tx(c -> repo.upload(c, fileId)).orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND,
                    "upload: file " + fileId + " has no upload in progress"));
            if (u.bytesReceived() + length > f.size()) {
                reset(u);
                throw Rejected.invalid("Content-Length", String.valueOf(length), "at most " + (f.size() - u.bytesReceived())
                        + " bytes, the rest of the declared size " + f.size() + "; the upload was discarded, send it again from the start");
            }
            Path partial = store.tmpDir().resolve(u.partialName());
            Hash h = hashes.get(fileId);
            if (h == null || h.bytes != u.bytesReceived()) {
                h = rehash(partial, u.bytesReceived());
            }
            FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            try {
                ch.truncate(u.bytesReceived());
                ch.position(u.bytesReceived());
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new Appender(f, u, partial, ch, cloneOf(h.digest), length);
        } catch (IOException e) {
            busy.remove(fileId);
            throw new UncheckedIOException("upload: file " + fileId + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            busy.remove(fileId);
            throw e;
        }
    }

    /** One chunk being appended: {@link #write} as bytes arrive, then {@link #finish} or {@link #abort}. */
    public final class Appender {
        private final BootFileRecord file;
        private final UploadRecord upload;
        private final Path partial;
        private final FileChannel channel;
        private final MessageDigest digest;
        private final long length;
        private long written;
        private boolean done;

        private Appender(BootFileRecord file, UploadRecord upload, Path partial, FileChannel channel, MessageDigest digest, long length) {
            this.file = file;
            this.upload = upload;
            this.partial = partial;
            this.channel = channel;
            this.digest = digest;
            this.length = length;
        }

        /** Appends bytes; more than the chunk's Content-Length is refused (the chunk is then discarded). */
        public void write(ByteBuffer bytes) throws IOException {
            if (written + bytes.remaining() > length) {
                abort();
                throw Rejected.invalid("Content-Length", String.valueOf(length), "the number of bytes sent in the chunk");
            }
            ByteBuffer forHash = bytes.duplicate();
            while (bytes.hasRemaining()) {
                written += channel.write(bytes);
            }
            digest.update(forHash);
        }

        /**
         * Ends the chunk: checks its length, makes it durable and records it. When the declared size is reached the
         * whole file's sha256 is checked and the file is stored and marked complete.
         *
         * @return true when the file is now complete
         * @throws Rejected INVALID for a short chunk (discarded) or a sha256 mismatch (the upload is discarded)
         */
        public boolean finish() {
            try {
                if (written != length) {
                    abort();
                    throw Rejected.invalid("Content-Length", String.valueOf(length), written + ", the number of bytes sent in the chunk");
                }
                long total = upload.bytesReceived() + written;
                channel.force(false);
                channel.close();
                if (total < file.size()) {
                    int n = db.tx(c -> repo.updateUpload(c, file.id(), total, clock.instant()));
                    if (n == 0) {
                        Files.deleteIfExists(partial);
                        throw new Rejected(Rejected.Kind.NOT_FOUND, "upload: file " + file.id() + " was deleted while receiving");
                    }
                    hashes.put(file.id(), new Hash(digest, total));
                    return false;
                }
                hashes.remove(file.id());
                String sha = Sha256.hex(digest.digest());
                if (!sha.equals(file.sha256())) {
                    reset(upload);
                    throw Rejected.invalid("sha256", file.sha256(), sha + ", the sha256 of the " + total
                            + " bytes received; the upload was discarded, send it again from the start");
                }
                try (FileChannel sync = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                    sync.force(true);
                }
                store.adopt(partial, new StoredFile(sha, total));
                completeInspected(file);
                return true;
            } catch (IOException e) {
                abort();
                throw new UncheckedIOException("upload: file " + file.id() + ": " + e.getMessage(), e);
            } finally {
                release();
            }
        }

        /** Discards this chunk: the partial file goes back to the bytes recorded before it. */
        public void abort() {
            try {
                if (channel.isOpen()) {
                    channel.truncate(upload.bytesReceived());
                    channel.close();
                }
            } catch (IOException e) {
                // Recovery truncates the partial file to the recorded length at the next start.
            } finally {
                release();
            }
        }

        private void release() {
            if (!done) {
                done = true;
                busy.remove(file.id());
            }
        }
    }

    /** Discards what an upload received so far (MAAS deletes the content on an overrun or a checksum mismatch). */
    private void reset(UploadRecord u) {
        hashes.remove(u.fileId());
        try (FileChannel ch = FileChannel.open(store.tmpDir().resolve(u.partialName()), StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            ch.truncate(0);
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("upload: cannot reset " + u.partialName() + ": " + e.getMessage(), e);
        }
        db.tx(c -> repo.updateUpload(c, u.fileId(), 0, clock.instant()));
    }

    private static Hash rehash(Path partial, long bytes) throws IOException {
        MessageDigest d = Sha256.digest();
        if (bytes > 0) {
            try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                long left = bytes;
                while (left > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), left));
                    int n = ch.read(buf);
                    if (n < 0) {
                        throw new IOException(partial + ": shorter than the " + bytes + " bytes recorded");
                    }
                    buf.flip();
                    d.update(buf);
                    left -= n;
                }
            }
        }
        return new Hash(d, bytes);
    }

    private static MessageDigest cloneOf(MessageDigest d) {
        try {
            return (MessageDigest) d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("sha256 state cannot be copied", e);
        }
    }

    /**
     * Brings chunked uploads back to a consistent state after a stop or a crash: each partial file is cut to the bytes
     * recorded (a chunk cut off by a kill is dropped), a recorded length the disk lacks is lowered, an upload whose
     * stored file was already moved into place is completed, and any other file left in {@code tmp} is removed. Call
     * it once at start-up, before the API serves.
     *
     * @return the uploads still in progress
     */
    public int recover() {
        List<UploadRecord> uploads = db.tx(repo::uploads);
        Set<String> keep = new java.util.HashSet<>();
        try {
            for (UploadRecord u : uploads) {
                Path partial = store.tmpDir().resolve(u.partialName());
                BootFileRecord f = db.tx(c -> repo.file(c, u.fileId())).orElseThrow();
                if (!Files.exists(partial) && store.contains(f.sha256()) && Files.size(store.path(f.sha256())) == f.size()) {
                    try {
                        completeInspected(f);
                    } catch (Rejected e) {
                        log.warn("upload of file {} refused at recovery: {}", f.id(), e.getMessage());
                    }
                    continue;
                }
                keep.add(u.partialName());
                try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
                    long size = ch.size();
                    if (size > u.bytesReceived()) {
                        ch.truncate(u.bytesReceived());
                        ch.force(true);
                    } else if (size < u.bytesReceived()) {
                        db.tx(c -> repo.updateUpload(c, u.fileId(), size, clock.instant()));
                    }
                }
            }
            try (java.util.stream.Stream<Path> left = Files.list(store.tmpDir())) {
                for (Path p : left.toList()) {
                    if (!keep.contains(p.getFileName().toString()) && Files.isRegularFile(p)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("upload recovery: " + e.getMessage(), e);
        }
        return keep.size();
    }

    /** Every resource: uploaded ones and the ephemeral images on disk (recorded as Synced on first sight). */
    public List<BootResource> list() {
        syncEphemerals();
        List<BootResource> rows = db.tx(c -> {
            List<BootResource> out = new ArrayList<>();
            for (BootResourceRecord r : repo.list(c)) {
                out.add(view(c, r.id()));
            }
            return out;
        });
        return rows.stream().map(this::withSynced).map(this::withBlockMaps).toList();
    }

    public Optional<BootResource> get(long id) {
        syncEphemerals();
        Optional<BootResource> row = db.tx(c -> {
            return repo.get(c, id).isEmpty() ? Optional.<BootResource>empty() : Optional.of(view(c, id));
        });
        return row.map(this::withSynced).map(this::withBlockMaps);
    }

    /**
     * A Synced resource with what is known of its ephemeral set: the imported version and sha256s from
     * {@code .imported.json}, and the initramfs scan (made and kept on first sight for a set placed by hand).
     */
    private BootResource withSynced(BootResource br) {
        BootResourceRecord r = br.resource();
        if (!r.type().equals(BootResourceRecord.SYNCED) || r.name().indexOf('/') < 0 || r.architecture().indexOf('/') < 0) {
            return br;
        }
        String os = r.name().substring(0, r.name().indexOf('/'));
        String release = r.name().substring(r.name().indexOf('/') + 1);
        String arch = r.architecture().substring(0, r.architecture().indexOf('/'));
        Optional<EphemeralImage> e = ephemerals.find(os, arch, release);
        Map<String, Object> synced = new LinkedHashMap<>();
        synced.put("present", e.isPresent());
        if (e.isPresent()) {
            Path dir = e.get().kernel().getParent();
            Optional<ImportedSet> set = ImportedSet.read(dir);
            if (set.isPresent()) {
                synced.put("version", set.get().version());
                synced.put("product_id", set.get().productId());
                synced.put("subarch", set.get().subarch());
                synced.put("mirror", set.get().mirror().toString());
                synced.put("imported_at", set.get().importedAt().toString());
                Map<String, Object> files = new LinkedHashMap<>();
                set.get().files().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(f -> {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("sha256", f.getValue().sha256());
                    one.put("size", f.getValue().size());
                    files.put(f.getKey(), one);
                });
                synced.put("files", files);
            }
            Map<String, Object> initramfs = InitramfsReports.readOrScan(dir);
            synced.put("initramfs", initramfs);
            synced.put("warnings", initramfs.getOrDefault("warnings", List.of()));
        }
        return new BootResource(r, br.files(), br.received(), br.inspections(), synced, br.blockMaps());
    }

    /**
     * The resource with the block maps of its complete raw files and the raw views of its complete compressed disk
     * images (read outside any transaction: a map is read once).
     */
    private BootResource withBlockMaps(BootResource br) {
        Map<Long, StoredBlockMap> maps = new HashMap<>();
        Map<Long, StoredRawView> views = new HashMap<>();
        for (BootFileRecord f : br.files()) {
            Optional<ImageFiletype> t = ImageFiletype.ofUploadName(f.filetype());
            if (f.complete() && t.isPresent() && t.get() == ImageFiletype.DDRAW) {
                blockMaps.find(f.sha256()).ifPresent(m -> maps.put(f.id(), m));
            } else if (f.complete() && t.isPresent() && RawViews.applies(t.get())) {
                rawViews.find(f.sha256()).ifPresent(v -> views.put(f.id(), v));
            }
        }
        return maps.isEmpty() && views.isEmpty() ? br
                : new BootResource(br.resource(), br.files(), br.received(), br.inspections(), br.synced(), maps, views);
    }

    /** The newest complete file of the uploaded resource {@code name} for the architecture {@code arch} ({@code amd64}). */
    public Optional<DeployableImage> deployable(String name, String arch) {
        return db.tx(c -> {
            for (BootResourceRecord r : repo.findByName(c, name)) {
                if (!r.type().equals(BootResourceRecord.UPLOADED) || !r.architecture().startsWith(arch + "/")) {
                    continue;
                }
                List<BootFileRecord> files = repo.files(c, r.id());
                for (int i = files.size() - 1; i >= 0; i--) {
                    BootFileRecord f = files.get(i);
                    Optional<ImageFiletype> t = ImageFiletype.ofUploadName(f.filetype());
                    if (f.complete() && t.isPresent()) {
                        return Optional.of(new DeployableImage(r, f, t.get()));
                    }
                }
            }
            return Optional.<DeployableImage>empty();
        });
    }

    /** The stored file of a complete uploaded file whose sha256 starts with {@code prefix} (16 hex), if exactly one. */
    public Optional<Path> published(String prefix) {
        return publishedSha256(prefix).map(store::path);
    }

    /** The block map of the file {@link #published} names, when it has one. */
    public Optional<Path> publishedBlockMap(String prefix) {
        return publishedSha256(prefix).map(store::blockMap).filter(Files::isRegularFile);
    }

    /** The raw view of the file {@link #published} names, when it has a complete one. */
    public Optional<Path> publishedRawView(String prefix) {
        return publishedSha256(prefix).filter(sha -> Files.isRegularFile(store.rawViewSum(sha))).map(store::rawView).filter(Files::isRegularFile);
    }

    /** The block map of the raw view of the file {@link #published} names, when it has a complete view. */
    public Optional<Path> publishedRawViewMap(String prefix) {
        return publishedSha256(prefix).filter(sha -> Files.isRegularFile(store.rawViewSum(sha))).map(store::rawViewMap)
                .filter(Files::isRegularFile);
    }

    private Optional<String> publishedSha256(String prefix) {
        if (!prefix.matches("[0-9a-f]{16}")) {
            return Optional.empty();
        }
        List<String> shas = db.tx(c -> repo.completeSha256ByPrefix(c, prefix));
        if (shas.size() != 1 || !store.contains(shas.get(0))) {
            return Optional.empty();
        }
        return Optional.of(shas.get(0));
    }

    /** Complete uploaded custom files with a base image, counted by (base_image, filetype). */
    public Map<List<String>, Long> countUploadedCustom() {
        return db.tx(repo::countUploadedCustom);
    }

    private synchronized void syncEphemerals() {
        List<EphemeralImage> present = ephemerals.list();
        if (present.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        db.tx(c -> {
            for (EphemeralImage e : present) {
                String name = e.os() + "/" + e.release();
                String arch = e.arch() + "/generic";
                if (repo.find(c, name, arch).isEmpty()) {
                    repo.insert(c, new BootResourceRecord(0, BootResourceRecord.SYNCED, name, arch, name, "", "squashfs", now));
                }
            }
            return null;
        });
    }

    private static String sorted(Set<String> s) {
        return s.stream().sorted().collect(Collectors.joining(", "));
    }
}
