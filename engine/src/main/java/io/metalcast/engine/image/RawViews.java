package io.metalcast.engine.image;

import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.BlockMapBuilder;
import io.metalcast.curtin.image.DiskImageStream;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw views of compressed disk images (as Ironic's {@code force_raw_images}): a {@code ddgz}, {@code ddxz},
 * {@code ddbz2}, {@code ddzst} or tar-wrapped dd upload is decompressed once into a sparse file beside it (only blocks
 * holding data are written; all-zero blocks are holes), its sha256, size and block map made in the same pass, so the
 * installer fetches only the mapped ranges and decompresses nothing. Written under the store's tmp dir, fsynced and
 * renamed into place: the view, then its map, then the sidecar naming its sha256 and size, whose presence says the
 * view is complete. A view that cannot be made, or would leave too little free disk, is logged and left out: the
 * image deploys compressed as before. Blocking: call it on the blocking executor.
 */
public final class RawViews {
    private static final Logger log = LoggerFactory.getLogger(RawViews.class);
    private static final Pattern SIDECAR = Pattern.compile("([0-9a-f]{64}) (\\d{1,19})\n?");
    private static final int BUFFER = 1 << 20;
    /** How much data is written between two looks at the free space. */
    private static final long CHECK_EVERY = 64L << 20;

    /**
     * How far a raw view may go.
     *
     * @param minFreeBytes    the free space (for unprivileged users) a view must leave on the store's file system
     * @param minFreeFraction the same as a fraction of the file system's size; the larger of the two applies
     * @param maxRawBytes     the largest raw image (its logical size) made
     */
    public record Limits(long minFreeBytes, double minFreeFraction, long maxRawBytes) {
        /** At least 2 GiB or 5% of the file system left free; raw images up to 4 TiB. */
        public static final Limits DEFAULTS = new Limits(2L << 30, 0.05, 4L << 40);

        public Limits {
            if (minFreeBytes < 0) {
                throw new IllegalArgumentException("minFreeBytes: " + minFreeBytes + " (expected: >= 0)");
            }
            if (!(minFreeFraction >= 0 && minFreeFraction < 1)) {
                throw new IllegalArgumentException("minFreeFraction: " + minFreeFraction + " (expected: 0 <= f < 1)");
            }
            if (maxRawBytes < 1) {
                throw new IllegalArgumentException("maxRawBytes: " + maxRawBytes + " (expected: >= 1)");
            }
        }
    }

    /** A view refused by the limits (not a failure of the image or the disk). */
    private static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final ImageStore store;
    private final BlockMaps maps;
    private final Limits limits;
    private final Counter made;
    private final Counter failed;
    private final Counter refused;
    /** Views being made, by image sha256: one decompression per content at a time. */
    private final Map<String, Object> making = new ConcurrentHashMap<>();

    /** @param maps reads the views' block maps back (and remembers them) */
    public RawViews(ImageStore store, BlockMaps maps, MeterRegistry registry, Limits limits) {
        this.store = store;
        this.maps = maps;
        this.limits = limits;
        this.made = counter(registry, "made");
        this.failed = counter(registry, "failed");
        this.refused = counter(registry, "refused");
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("boot_resources.raw_views").description("Raw views of compressed disk images made, by result")
                .tag("result", result).register(registry);
    }

    /** Whether uploads of {@code type} get a raw view: the compressed and tar-wrapped disk images. */
    public static boolean applies(ImageFiletype type) {
        return type.diskImage() && type != ImageFiletype.DDRAW;
    }

    /**
     * Makes the raw view of the stored image {@code sha256}, uploaded as {@code type}, unless it has one. Reads and
     * decompresses the whole image. Never throws for a view that cannot be made: it logs a warning and the image stays
     * deployable as it is.
     *
     * @return the view, made now or earlier; empty when it could not be made or {@code type} gets none
     */
    public Optional<StoredRawView> ensure(String sha256, ImageFiletype type) {
        if (!applies(type)) {
            return Optional.empty();
        }
        Object lock = making.computeIfAbsent(sha256, k -> new Object());
        try {
            synchronized (lock) {
                if (Files.isRegularFile(store.rawViewSum(sha256))) {
                    return find(sha256);
                }
                return make(sha256, type);
            }
        } finally {
            making.remove(sha256, lock);
        }
    }

    private Optional<StoredRawView> make(String sha256, ImageFiletype type) {
        long started = System.nanoTime();
        Path t = null;
        try {
            FileStore fs = Files.getFileStore(store.tmpDir());
            long reserve = Math.max(limits.minFreeBytes(), (long) (fs.getTotalSpace() * limits.minFreeFraction()));
            long allowed = fs.getUsableSpace() - reserve;
            t = Files.createTempFile(store.tmpDir(), "raw-", ".part");
            MessageDigest whole = Sha256.digest();
            BlockMapBuilder builder = new BlockMapBuilder(BlockMap.DEFAULT_BLOCK_SIZE);
            long size = 0;
            long data = 0;
            try (InputStream in = DiskImageStream.open(Files.newInputStream(store.path(sha256)), type);
                 RandomAccessFile file = new RandomAccessFile(t.toFile(), "rw")) {
                FileChannel out = file.getChannel();
                byte[] buf = new byte[BUFFER];
                long checkedAt = 0;
                int n;
                while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                    whole.update(buf, 0, n);
                    for (int off = 0; off < n; off += builder.blockSize()) {
                        int len = Math.min(builder.blockSize(), n - off);
                        if (builder.add(buf, off, len)) {
                            ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
                            while (bb.hasRemaining()) {
                                out.write(bb, size + bb.position());
                            }
                            data += len;
                        }
                    }
                    size += n;
                    if (size > limits.maxRawBytes()) {
                        throw new Refused("it decompresses to more than " + limits.maxRawBytes() + " bytes, the largest raw view made");
                    }
                    if (data > allowed || (data - checkedAt >= CHECK_EVERY && fs.getUsableSpace() < reserve)) {
                        throw new Refused("its data (" + data + " bytes so far) would leave less than " + reserve + " bytes free on "
                                + fs + " (" + store.tmpDir().getParent() + ")");
                    }
                    if (data - checkedAt >= CHECK_EVERY) {
                        checkedAt = data;
                    }
                }
                file.setLength(size); // trailing zero blocks become a hole
                out.force(true);
            }
            store.place(t, store.rawView(sha256));
            store.placeBytes(builder.build().render(), store.rawViewMap(sha256));
            store.placeBytes((Sha256.hex(whole.digest()) + " " + size + "\n").getBytes(StandardCharsets.US_ASCII),
                    store.rawViewSum(sha256));
            // ImageStore.delete removes the image before its view: a view placed after that removal is seen here and removed.
            if (!store.contains(sha256)) {
                store.deleteRawView(sha256);
                return Optional.empty();
            }
            Optional<StoredRawView> view = find(sha256);
            if (view.isEmpty()) {
                throw new IOException("the view just written does not read back");
            }
            made.increment();
            log.info("raw view of {} ({}) made in {} ms: {} bytes, {}", sha256, type.uploadName(), (System.nanoTime() - started) / 1_000_000,
                    size, view.get().map().summary());
            return view;
        } catch (Refused e) {
            refused.increment();
            log.warn("raw view of {} ({}) not made: {}; the image deploys compressed (decompressed by the installer) as before;"
                    + " free space under {}, then restart the engine to make it", sha256, type.uploadName(), e.getMessage(),
                    store.tmpDir().getParent());
            removeQuietly(sha256);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            failed.increment();
            log.warn("raw view of {} ({}) not made ({}): the image deploys compressed as before; check that {} decompresses and that"
                    + " {} has free space, then restart the engine to make it", sha256, type.uploadName(), e.toString(),
                    store.path(sha256), store.tmpDir().getParent());
            removeQuietly(sha256);
            return Optional.empty();
        } finally {
            if (t != null) {
                try {
                    Files.deleteIfExists(t);
                } catch (IOException ignored) {
                    // the next start's upload recovery empties tmp
                }
            }
        }
    }

    private void removeQuietly(String sha256) {
        try {
            store.deleteRawView(sha256);
        } catch (IOException | RuntimeException e) {
            log.warn("raw view of {}: cannot remove what was written ({})", sha256, e.toString());
        }
    }

    /**
     * The stored raw view of the image {@code sha256}: empty when it has none (or it is incomplete), or when its
     * sidecar or map cannot be read or is damaged (logged).
     */
    public Optional<StoredRawView> find(String sha256) {
        Path sum = store.rawViewSum(sha256);
        String text;
        try {
            text = Files.readString(sum, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("raw view sidecar {} unreadable ({}): the image deploys compressed", sum, e.toString());
            return Optional.empty();
        }
        Matcher m = SIDECAR.matcher(text);
        if (!m.matches() || !Files.isRegularFile(store.rawView(sha256))) {
            log.warn("raw view {} incomplete or its sidecar damaged: the image deploys compressed; delete {} and restart the engine"
                    + " to make the view again", store.rawView(sha256), sum);
            return Optional.empty();
        }
        long size = Long.parseLong(m.group(2));
        Optional<StoredBlockMap> map = maps.read(store.rawViewMap(sha256));
        if (map.isEmpty() || map.get().imageSize() != size) {
            return Optional.empty();
        }
        return Optional.of(new StoredRawView(m.group(1), size, map.get()));
    }

    /**
     * Makes the raw view of every image of {@code images} (sha256 to its upload's filetype) that is stored, gets one
     * and lacks it, one after another, logging each.
     *
     * @return how many views were made
     */
    public int backfill(Map<String, ImageFiletype> images) {
        int n = 0;
        for (Map.Entry<String, ImageFiletype> e : images.entrySet()) {
            String sha = e.getKey();
            if (applies(e.getValue()) && store.contains(sha) && !Files.exists(store.rawViewSum(sha)) && ensure(sha, e.getValue()).isPresent()) {
                n++;
            }
        }
        if (n > 0) {
            log.info("raw views made at start for {} compressed disk image(s) stored without one", n);
        }
        return n;
    }
}
