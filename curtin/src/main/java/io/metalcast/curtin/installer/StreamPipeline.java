package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams one source onto the target in overlapped stages, each on its own thread with a bounded pool of 4 MiB buffers
 * between them: the download (HTTP, sha256 over the fetched bytes, Range resume), the decoder (decompression, tar), and the
 * writer (which also hashes a raw image, which has no decoder) (positional 4 MiB writes; all-zero 64 KiB blocks skipped once the target is known to read as zeros; {@code force}
 * at the end). A raw image skips the decoder: the writer writes the downloaded buffers themselves. Checksum and size are
 * verified before the stream is declared complete; a failure zeroes the start of what was written so a partial or corrupt
 * image never boots.
 */
final class StreamPipeline {
    static final int BLOCK = 4 << 20;
    static final int ZERO_BLOCK = 64 << 10;
    private static final int BUFFERS = 4;
    private static final int WIPE = 1 << 20;
    private static final byte[] ZEROS = new byte[ZERO_BLOCK];

    /** Told about the stream as it goes, at most once per progress interval. */
    interface Progress {
        /**
         * @param written   image bytes done (written or skipped), or extracted for a tarball
         * @param fetched   source bytes downloaded
         * @param total     source bytes expected; -1 when unknown
         * @param nanos     time since the start
         */
        void update(long written, long fetched, long total, long nanos);
    }

    /**
     * What the stream did.
     *
     * @param sourceBytes   bytes downloaded
     * @param written       image bytes laid onto the target (including skipped zero blocks), or extracted from a tarball
     * @param sha256        sha256 of the downloaded bytes
     * @param nanos         wall time
     * @param sha256Checked whether an expected sha256 was compared
     * @param zeroSkipped   bytes of all-zero blocks not written because the target already read as zeros
     * @param writes        write calls made to the target
     * @param resumes       Range requests that resumed a dropped download
     * @param compression   the compression the source came in
     * @param zeroing       how the target was zeroed (or why not), in words; empty for a tarball
     * @param mappedRanges  ranges of the block map fetched and verified one by one; -1 when the image was streamed whole
     * @param direct        whether aligned writes bypassed the page cache (O_DIRECT on a block device)
     */
    record Result(long sourceBytes, long written, String sha256, long nanos, boolean sha256Checked, long zeroSkipped, long writes,
                  int resumes, Compression compression, String zeroing, int mappedRanges, boolean direct) {
    }

    private final Duration progressInterval;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxResumes;
    private final Duration resumeBackoff;
    private final TargetZeroing zeroing;

    StreamPipeline(Duration progressInterval, Duration connectTimeout, Duration readTimeout, int maxResumes, Duration resumeBackoff,
                   TargetZeroing zeroing) {
        this.progressInterval = progressInterval;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxResumes = maxResumes;
        this.resumeBackoff = resumeBackoff;
        this.zeroing = zeroing;
    }

    /** Writes a disk-image source ({@link SourceFormat.Layout#DISK} or {@code TAR_DISK}) onto {@code target}. */
    Result writeDisk(Source source, SourceFormat format, TargetDisk target, Progress progress) throws InstallException {
        long start = System.nanoTime();
        boolean raw = format.layout() == SourceFormat.Layout.DISK && !format.compressed();
        // a raw image has no decoder: the writer, otherwise idle on a mostly empty image, hashes instead of the download thread
        Checksum writerSum = raw ? new Checksum() : null;
        Checksum fetchSum = raw ? null : new Checksum();
        Fetcher fetcher = open(source, fetchSum);
        long imageLength = format.preservesLength() ? fetchLength(source, fetcher) : -1;
        if (imageLength > target.size()) {
            fetcher.close();
            throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                    + " bytes, the image needs " + imageLength);
        }
        TargetZeroing.Outcome zeroed = zeroing.zero(target, imageLength);
        ChunkQueue fetched = new ChunkQueue(BUFFERS, BLOCK);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<String> sha = new AtomicReference<>("");
        threads.add(thread("metalcast-fetch", () -> fetch(source, fetcher, fetchSum, fetched, sha)));
        ChunkQueue image = fetched;
        AtomicReference<Compression> compression = new AtomicReference<>(Compression.NONE);
        if (!raw) {
            ChunkQueue decoded = new ChunkQueue(BUFFERS, BLOCK);
            threads.add(thread("metalcast-decode", () -> decode(source, format, fetched, decoded, compression)));
            image = decoded;
        }
        ProgressClock clock = new ProgressClock(progress, fetcher, fetchLength(source, fetcher), start);
        Writer writer = new Writer(target, zeroed.zeroed());
        threads.forEach(Thread::start);
        try (TargetWriter out = TargetWriter.open(target, BLOCK)) {
            try {
                ChunkQueue.Chunk c;
                while ((c = image.take()) != null) {
                    if (writerSum != null) {
                        writerSum.update(c.data(), 0, c.length());
                    }
                    writer.write(out, c.data(), c.length());
                    image.release(c);
                    clock.tick(writer.position);
                }
                if (writerSum != null) {
                    sha.set(writerSum.verify(source));
                }
                out.force();
                return new Result(fetcher.count(), writer.position, sha.get(), System.nanoTime() - start,
                        !source.sha256().isEmpty(), writer.skipped, out.writes(), fetcher.resumes(), compression.get(), zeroed.how(), -1, out.direct());
            } catch (InstallException | IOException | InterruptedException e) {
                wipe(out.channel(), Math.min(writer.position, WIPE));
                throw e;
            }
        } catch (IOException e) {
            throw new InstallException(Kind.WRITE, "writing " + target.path() + " at byte " + writer.position + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallException(Kind.WRITE, "interrupted while writing " + target.path(), e);
        } finally {
            stop(fetcher, threads);
        }
    }

    /**
     * Fetches the block map {@code source} names and checks it against the config's sha256 and the source's size. A map
     * that cannot be downloaded fails with {@link Kind#DOWNLOAD} (the caller may stream the whole image instead); one that
     * differs from the config's sha256 or does not parse fails with {@link Kind#CHECKSUM_MISMATCH} or {@link Kind#DECODE}.
     */
    BlockMap blockMap(Source source) throws InstallException {
        Checksum sum = new Checksum();
        Fetcher fetcher;
        try {
            fetcher = new Fetcher(URI.create(source.bmap()), connectTimeout, readTimeout, maxResumes, resumeBackoff, sum);
        } catch (IllegalArgumentException e) {
            throw new InstallException(Kind.DOWNLOAD, "bmap uri '" + source.bmap() + "': " + e.getMessage(), e);
        }
        fetcher.open();
        try {
            if (fetcher.total() > BlockMap.MAX_FILE_BYTES) {
                throw new InstallException(Kind.DECODE, "bmap " + source.bmap() + " is " + fetcher.total() + " bytes (expected: at most "
                        + BlockMap.MAX_FILE_BYTES + ")");
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            int n;
            do {
                n = fetcher.fill(buf);
                bytes.write(buf, 0, n);
                if (bytes.size() > BlockMap.MAX_FILE_BYTES) {
                    throw new InstallException(Kind.DECODE, "bmap " + source.bmap() + " is over " + BlockMap.MAX_FILE_BYTES + " bytes");
                }
            } while (n == buf.length);
            sum.verify(new Source("bmap", source.bmap(), source.bmapSha256(), -1));
            BlockMap map;
            try {
                map = BlockMap.parse(bytes.toByteArray());
            } catch (IOException e) {
                throw new InstallException(Kind.DECODE, "bmap " + source.bmap() + ": " + e.getMessage(), e);
            }
            if (source.size() >= 0 && map.imageSize() != source.size()) {
                throw new InstallException(Kind.SIZE_MISMATCH, "bmap " + source.bmap() + " maps " + map.imageSize()
                        + " bytes (expected: the source's " + source.size() + ")");
            }
            return map;
        } finally {
            fetcher.close();
        }
    }

    /** Writes a raw disk image by its block map (see {@link MappedCopy}): only the mapped ranges are fetched. */
    Result writeMapped(Source source, BlockMap map, TargetDisk target, Progress progress) throws InstallException {
        if (map.imageSize() > target.size()) {
            throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                    + " bytes, the image needs " + map.imageSize());
        }
        TargetZeroing.Outcome zeroed = zeroing.zero(target, map.imageSize());
        return new MappedCopy(progress, progressInterval, connectTimeout, readTimeout, maxResumes, resumeBackoff)
                .write(source, map, target, zeroed);
    }

    /** What consumes a decompressed tarball; runs on the calling thread. */
    interface TarConsumer {
        /**
         * Reads {@code tar} (decompressed) to its end marker, adding the file bytes it extracts to {@code extracted}. Stream
         * errors come out as IOException; failures of the filesystem written to as {@link InstallException}.
         */
        void consume(InputStream tar, java.util.concurrent.atomic.AtomicLong extracted) throws IOException, InstallException;
    }

    /** Downloads a root tarball and hands its decompressed bytes to {@code consumer}; the checksum is verified before returning. */
    Result extractTarball(Source source, SourceFormat format, TarConsumer consumer, Progress progress) throws InstallException {
        long start = System.nanoTime();
        Checksum fetchSum = new Checksum();
        Fetcher fetcher = open(source, fetchSum);
        ChunkQueue fetched = new ChunkQueue(BUFFERS, BLOCK);
        AtomicReference<String> sha = new AtomicReference<>("");
        Thread t = thread("metalcast-fetch", () -> fetch(source, fetcher, fetchSum, fetched, sha));
        java.util.concurrent.atomic.AtomicLong extracted = new java.util.concurrent.atomic.AtomicLong();
        ProgressClock clock = new ProgressClock(progress, fetcher, fetchLength(source, fetcher), start);
        AtomicReference<Compression> compression = new AtomicReference<>(Compression.NONE);
        t.start();
        try {
            InputStream raw = fetched.asInputStream(() -> clock.tick(extracted.get()));
            try {
                InputStream tar = format.decompress(raw, compression::set);
                consumer.consume(tar, extracted);
                drain(tar);
                drain(raw);
            } catch (ChunkQueue.UpstreamFailure e) {
                throw e.failure();
            } catch (IOException e) {
                throw failedDecode(source, raw, e);
            }
            return new Result(fetcher.count(), extracted.get(), sha.get(), System.nanoTime() - start, !source.sha256().isEmpty(), 0, 0,
                    fetcher.resumes(), compression.get(), "", -1, false);
        } finally {
            stop(fetcher, List.of(t));
        }
    }

    private Fetcher open(Source source, Checksum checksum) throws InstallException {
        URI uri;
        try {
            uri = URI.create(source.uri());
        } catch (IllegalArgumentException e) {
            throw new InstallException(Kind.DOWNLOAD, "source uri '" + source.uri() + "': " + e.getMessage(), e);
        }
        Fetcher fetcher = new Fetcher(uri, connectTimeout, readTimeout, maxResumes, resumeBackoff, checksum);
        fetcher.open();
        if (source.size() >= 0 && fetcher.total() >= 0 && source.size() != fetcher.total()) {
            fetcher.close();
            throw new InstallException(Kind.SIZE_MISMATCH, "source " + source.uri() + " is " + fetcher.total() + " bytes (expected: "
                    + source.size() + ")");
        }
        return fetcher;
    }

    private static long fetchLength(Source source, Fetcher fetcher) {
        return source.size() >= 0 ? source.size() : fetcher.total();
    }

    /**
     * The download stage: fills buffers, then verifies the length and (when it hashed, {@code checksum} not null) the
     * checksum before ending the stream.
     */
    private static void fetch(Source source, Fetcher fetcher, Checksum checksum, ChunkQueue out, AtomicReference<String> verified) {
        try {
            while (true) {
                byte[] buf = out.acquire();
                int n = fetcher.fill(buf);
                if (n > 0) {
                    out.put(buf, n);
                }
                if (n < buf.length) {
                    break;
                }
            }
            if (source.size() >= 0 && fetcher.count() != source.size()) {
                throw new InstallException(Kind.SIZE_MISMATCH, "source " + source.uri() + " is " + fetcher.count() + " bytes (expected: "
                        + source.size() + ")");
            }
            if (checksum != null) {
                verified.set(checksum.verify(source));
            }
            out.end();
        } catch (InstallException e) {
            out.fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The decoder stage: decompresses (and unwraps the tar) into full buffers; ends only once the download is verified. */
    private static void decode(Source source, SourceFormat format, ChunkQueue in, ChunkQueue out, AtomicReference<Compression> compression) {
        InputStream raw = in.asInputStream(() -> { });
        try {
            try {
                InputStream decompressed = format.decompress(raw, compression::set);
                InputStream image = format.diskImage(decompressed);
                while (true) {
                    byte[] buf = out.acquire();
                    int n = image.readNBytes(buf, 0, buf.length);
                    if (n > 0) {
                        out.put(buf, n);
                    }
                    if (n < buf.length) {
                        break;
                    }
                }
                drain(decompressed);
                drain(raw);
            } catch (ChunkQueue.UpstreamFailure e) {
                throw e.failure();
            } catch (java.io.InterruptedIOException e) {
                return;
            } catch (IOException | RuntimeException e) {
                throw failedDecode(source, raw, e);
            }
            out.end();
        } catch (InstallException e) {
            out.fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The failure of a stream that does not decode. When a checksum is expected the rest is still fetched, because a
     * checksum mismatch names the cause (a corrupt download) better than the decoder's complaint.
     */
    private static InstallException failedDecode(Source source, InputStream raw, Exception e) {
        if (!source.sha256().isEmpty()) {
            try {
                drain(raw);
            } catch (ChunkQueue.UpstreamFailure upstream) {
                return upstream.failure();
            } catch (IOException ignored) {
                // fall through to the decoder's error
            }
        }
        String what = e instanceof SourceFormat.FormatException ? e.getMessage() : e.toString();
        return new InstallException(Kind.DECODE, "source " + source.uri() + " does not decode: " + what, e);
    }

    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[1 << 16];
        while (in.read(sink, 0, sink.length) >= 0) {
            // discard
        }
    }

    /** Positional, in-order writes of whole chunks; all-zero aligned blocks are skipped when the target reads as zeros. */
    private static final class Writer {
        private final TargetDisk target;
        private final boolean skipZeros;
        long position;
        long skipped;

        Writer(TargetDisk target, boolean skipZeros) {
            this.target = target;
            this.skipZeros = skipZeros;
        }

        void write(TargetWriter out, byte[] data, int length) throws IOException, InstallException {
            if (position + length > target.size()) {
                throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                        + " bytes, the image is longer");
            }
            if (!skipZeros) {
                out.write(data, 0, length, position);
                position += length;
                return;
            }
            int runStart = -1;
            for (int off = 0; off < length; off += ZERO_BLOCK) {
                int end = Math.min(off + ZERO_BLOCK, length);
                boolean zero = Arrays.mismatch(data, off, end, ZEROS, 0, end - off) < 0;
                if (zero) {
                    skipped += end - off;
                    if (runStart >= 0) {
                        out.write(data, runStart, off - runStart, position + runStart);
                        runStart = -1;
                    }
                } else if (runStart < 0) {
                    runStart = off;
                }
            }
            if (runStart >= 0) {
                out.write(data, runStart, length - runStart, position + runStart);
            }
            position += length;
        }
    }

    /** Calls the progress listener at most once per interval, from the consuming thread. */
    private final class ProgressClock {
        private final Progress progress;
        private final Fetcher fetcher;
        private final long total;
        private final long start;
        private long last;

        ProgressClock(Progress progress, Fetcher fetcher, long total, long start) {
            this.progress = progress;
            this.fetcher = fetcher;
            this.total = total;
            this.start = start;
            this.last = start;
        }

        void tick(long written) {
            long now = System.nanoTime();
            if (now - last >= progressInterval.toNanos()) {
                last = now;
                progress.update(written, fetcher.count(), total, now - start);
            }
        }
    }

    /**
     * A target holding a partial or corrupt image must not boot it: zero what was written of its first MiB (partition
     * table and boot code). Best effort: the original failure is what gets reported.
     */
    static void wipe(FileChannel out, long length) {
        if (length > 0) {
            try {
                ByteBuffer zeros = ByteBuffer.allocate((int) length);
                while (zeros.hasRemaining()) {
                    out.write(zeros, zeros.position());
                }
                out.force(true);
            } catch (IOException e) {
                // the write path is already failing; the caller reports the first error
            }
        }
    }

    private static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    private static void stop(Fetcher fetcher, List<Thread> threads) {
        fetcher.cancel();
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
