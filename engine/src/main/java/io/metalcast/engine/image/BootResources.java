package io.metalcast.engine.image;

import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import io.metalcast.engine.store.BootResourceRepository;
import io.metalcast.engine.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Boot resources: custom image uploads (validated, stored, then listed) and synced ephemeral images. Blocking.
 */
public final class BootResources {
    /** Operating systems MAAS knows as the first part of a resource name. */
    private static final Set<String> KNOWN_OS = Set.of("custom", "ubuntu", "centos", "rhel", "ol", "windows", "esxi");
    private static final Set<String> BASE_OS = Set.of("ubuntu", "centos", "rhel", "ol");
    private static final String PART = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
    private static final DateTimeFormatter VERSION = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final Database db;
    private final BootResourceRepository repo = new BootResourceRepository();
    private final ImageStore store;
    private final EphemeralCatalog ephemerals;
    private final Clock clock;

    public BootResources(Database db, ImageStore store, EphemeralCatalog ephemerals, Clock clock) {
        this.db = db;
        this.store = store;
        this.ephemerals = ephemerals;
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
        if (filetype != ImageFiletype.DDRAW) {
            throw Rejected.invalid("filetype", ft, "ddraw; other filetypes come later");
        }
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
            throw Rejected.invalid("sha256", form.sha256().get(), stored.sha256() + ", the sha256 of the content sent");
        }
        if (form.size().isPresent() && form.size().get() != stored.size()) {
            throw Rejected.invalid("size", String.valueOf(form.size().get()), stored.size() + ", the size of the content sent");
        }
        Instant now = clock.instant();
        return db.tx(c -> {
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
            repo.insertFile(c, new BootFileRecord(0, r.id(), version, form.filetype().storedName(), form.filetype().uploadName(),
                    stored.sha256(), stored.size(), true));
            return new BootResource(r, repo.files(c, r.id()));
        });
    }

    /** Every resource: uploaded ones and the ephemeral images on disk (recorded as Synced on first sight). */
    public List<BootResource> list() {
        syncEphemerals();
        return db.tx(c -> {
            List<BootResource> out = new ArrayList<>();
            for (BootResourceRecord r : repo.list(c)) {
                out.add(new BootResource(r, repo.files(c, r.id())));
            }
            return out;
        });
    }

    public Optional<BootResource> get(long id) {
        syncEphemerals();
        return db.tx(c -> {
            Optional<BootResourceRecord> r = repo.get(c, id);
            return r.isEmpty() ? Optional.<BootResource>empty() : Optional.of(new BootResource(r.get(), repo.files(c, id)));
        });
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
        if (!prefix.matches("[0-9a-f]{16}")) {
            return Optional.empty();
        }
        List<String> shas = db.tx(c -> repo.completeSha256ByPrefix(c, prefix));
        if (shas.size() != 1 || !store.contains(shas.get(0))) {
            return Optional.empty();
        }
        return Optional.of(store.path(shas.get(0)));
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
