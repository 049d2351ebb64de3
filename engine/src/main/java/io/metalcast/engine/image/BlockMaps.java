package io.metalcast.engine.image;

import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Sha256;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Block maps of stored raw images ({@link BlockMap}, bmaptool's {@code .bmap}), kept by the {@link ImageStore} beside
 * the image: made once per content, read back (hashed and parsed) once per map file and remembered. A map that cannot
 * be made or read is logged and left out: the image still deploys, streamed whole. Blocking: call it on the blocking
 * executor.
 */
public final class BlockMaps {
    private static final Logger log = LoggerFactory.getLogger(BlockMaps.class);

    private final ImageStore store;
    private final Counter made;
    private final Counter failed;
    /** Maps being made, by image sha256: one scan per content at a time. */
    private final Map<String, Object> making = new ConcurrentHashMap<>();
    /** What was read of each map file, by its path, valid while the file keeps its size and modification time. */
    private final Map<Path, Read> read = new ConcurrentHashMap<>();

    private record Read(long size, long modified, StoredBlockMap map) {
    }

    public BlockMaps(ImageStore store, MeterRegistry registry) {
        this.store = store;
        this.made = counter(registry, "made");
        this.failed = counter(registry, "failed");
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("boot_resources.block_maps").description("Block maps of raw images made, by result")
                .tag("result", result).register(registry);
    }

    /**
     * Makes the block map of the stored raw image {@code sha256} unless it has one. Reads the whole image. Never throws
     * for a map that cannot be made: it logs a warning and the image stays deployable without a map.
     *
     * @return the map, made now or earlier; empty when it could not be made
     */
    public Optional<StoredBlockMap> ensure(String sha256) {
        Object lock = making.computeIfAbsent(sha256, k -> new Object());
        try {
            synchronized (lock) {
                if (Files.isRegularFile(store.blockMap(sha256))) {
                    return find(sha256);
                }
                return make(sha256);
            }
        } finally {
            making.remove(sha256, lock);
        }
    }

    private Optional<StoredBlockMap> make(String sha256) {
        long started = System.nanoTime();
        try {
            BlockMap map = BlockMap.scan(store.path(sha256), BlockMap.DEFAULT_BLOCK_SIZE);
            byte[] bmap = map.render();
            if (!store.putBlockMap(sha256, bmap)) {
                return Optional.empty(); // the image was deleted meanwhile
            }
            made.increment();
            StoredBlockMap stored = new StoredBlockMap(Sha256.of(bmap), map.mappedBytes(), map.imageSize());
            log.info("block map of {} made in {} ms: {}", sha256, (System.nanoTime() - started) / 1_000_000, stored.summary());
            return Optional.of(stored);
        } catch (IOException | RuntimeException e) {
            failed.increment();
            log.warn("block map of {} not made ({}): the image deploys streamed whole; check that {} is readable and that {} has"
                    + " free space, then restart the engine to map it again", sha256, e.toString(), store.path(sha256),
                    store.blockMap(sha256).getParent());
            return Optional.empty();
        }
    }

    /**
     * The stored block map of the image {@code sha256}: empty when it has none, or when the file cannot be read or is
     * damaged (logged). Reads the file only when it changed since it was last read.
     */
    public Optional<StoredBlockMap> find(String sha256) {
        return read(store.blockMap(sha256));
    }

    /**
     * The block map in {@code file} (an image's map or a raw view's): empty when there is none, or when it cannot be
     * read or is damaged (logged). Reads the file only when it changed since it was last read.
     */
    Optional<StoredBlockMap> read(Path file) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            read.remove(file);
            return Optional.empty();
        } catch (IOException e) {
            log.warn("block map {} unreadable ({}): the image deploys streamed whole", file, e.toString());
            return Optional.empty();
        }
        Read known = read.get(file);
        long modified = attrs.lastModifiedTime().toMillis();
        if (known != null && known.size() == attrs.size() && known.modified() == modified) {
            return Optional.of(known.map());
        }
        try {
            if (attrs.size() > BlockMap.MAX_FILE_BYTES) {
                throw new IOException("bmap: " + attrs.size() + " bytes (expected: at most " + BlockMap.MAX_FILE_BYTES + ")");
            }
            byte[] bytes = Files.readAllBytes(file);
            BlockMap map = BlockMap.parse(bytes);
            StoredBlockMap stored = new StoredBlockMap(Sha256.of(bytes), map.mappedBytes(), map.imageSize());
            read.put(file, new Read(bytes.length, modified, stored));
            return Optional.of(stored);
        } catch (NoSuchFileException e) {
            read.remove(file);
            return Optional.empty();
        } catch (IOException e) {
            log.warn("block map {} not usable ({}): the image deploys streamed whole; delete the file and restart the engine to"
                    + " map the image again", file, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Maps every image of {@code sha256s} that is stored and lacks a map, one after another, logging each.
     *
     * @return how many maps were made
     */
    public int backfill(List<String> sha256s) {
        int n = 0;
        for (String sha : sha256s) {
            if (store.contains(sha) && !Files.exists(store.blockMap(sha)) && ensure(sha).isPresent()) {
                n++;
            }
        }
        if (n > 0) {
            log.info("block maps made at start for {} raw image(s) stored without one", n);
        }
        return n;
    }
}
