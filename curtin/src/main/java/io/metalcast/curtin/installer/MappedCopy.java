package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Compression;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a raw disk image by its block map: only the mapped ranges are downloaded (one HTTP Range request per run of
 * ranges lying closer than {@link #GAP}; the gap bytes inside a request are read and dropped), each range's sha256 is
 * checked against the map, and each is written at its offset. Everything else of the image is zeros: the target is
 * zeroed once cheaply, or, where it cannot be, those zeros are written without being downloaded. Two threads: the
 * download, and the hashing writer (the caller). The map itself is trusted only after its own sha256 matched the
 * config's.
 */
final class MappedCopy {
    /** Ranges closer than this share one request: one round trip costs more than reading this many bytes. */
    static final long GAP = 256 << 10;
    private static final int BUFFERS = 4;
    private static final int WIPE = 1 << 20;

    /** A stretch of one request's body: a mapped range ({@code range >= 0}, its index in the map) or a gap to drop. */
    record Piece(long start, long length, int range) {
    }

    /** One Range request, {@code [from, to)} of the image, and the pieces its body is made of, in order. */
    record Request(long from, long to, List<Piece> pieces) {
    }

    private final StreamPipeline.Progress progress;
    private final Duration progressInterval;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxResumes;
    private final Duration resumeBackoff;

    MappedCopy(StreamPipeline.Progress progress, Duration progressInterval, Duration connectTimeout, Duration readTimeout, int maxResumes,
               Duration resumeBackoff) {
        this.progress = progress;
        this.progressInterval = progressInterval;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxResumes = maxResumes;
        this.resumeBackoff = resumeBackoff;
    }

    /** The requests that fetch every mapped range, ranges closer than {@code gap} bytes sharing a request. */
    static List<Request> requests(BlockMap map, long gap) {
        List<Request> out = new ArrayList<>();
        List<Piece> pieces = new ArrayList<>();
        long from = -1;
        long to = -1;
        for (int i = 0; i < map.ranges().size(); i++) {
            BlockMap.Range r = map.ranges().get(i);
            long start = map.start(r);
            long end = map.end(r);
            if (from >= 0 && start - to >= gap) {
                out.add(new Request(from, to, List.copyOf(pieces)));
                pieces.clear();
                from = -1;
            }
            if (from < 0) {
                from = start;
            } else if (start > to) {
                pieces.add(new Piece(to, start - to, -1));
            }
            pieces.add(new Piece(start, end - start, i));
            to = end;
        }
        if (from >= 0) {
            out.add(new Request(from, to, List.copyOf(pieces)));
        }
        return out;
    }

    /** Writes the image {@code source} describes, by {@code map}, onto {@code target}; {@code zeroed}: how the target was zeroed. */
    StreamPipeline.Result write(Source source, BlockMap map, TargetDisk target, TargetZeroing.Outcome zeroed) throws InstallException {
        long start = System.nanoTime();
        URI uri = URI.create(source.uri());
        List<Request> requests = requests(map, GAP);
        List<Piece> pieces = requests.stream().flatMap(r -> r.pieces().stream()).toList();
        long toFetch = requests.stream().mapToLong(r -> r.to() - r.from()).sum();
        ChunkQueue queue = new ChunkQueue(BUFFERS, StreamPipeline.BLOCK);
        Download download = new Download(uri, requests, map.imageSize(), queue);
        Thread thread = new Thread(download, "metalcast-fetch");
        thread.setDaemon(true);
        long written = 0;
        try (TargetWriter out = TargetWriter.open(target, StreamPipeline.BLOCK)) {
            thread.start();
            try {
                MessageDigest sha = Sha256.digest();
                int p = 0;
                long inPiece = 0;
                long lastTick = start;
                ChunkQueue.Chunk c;
                while ((c = queue.take()) != null) {
                    int off = 0;
                    while (off < c.length()) {
                        if (p >= pieces.size()) {
                            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": more bytes than the block map's ranges");
                        }
                        Piece piece = pieces.get(p);
                        int n = (int) Math.min(c.length() - off, piece.length() - inPiece);
                        if (piece.range() >= 0) {
                            sha.update(c.data(), off, n);
                            out.write(c.data(), off, n, piece.start() + inPiece);
                            written += n;
                        }
                        off += n;
                        inPiece += n;
                        if (inPiece == piece.length()) {
                            if (piece.range() >= 0) {
                                verify(source, map, map.ranges().get(piece.range()), sha);
                            }
                            p++;
                            inPiece = 0;
                        }
                    }
                    queue.release(c);
                    long now = System.nanoTime();
                    if (now - lastTick >= progressInterval.toNanos()) {
                        lastTick = now;
                        long at = p < pieces.size() ? pieces.get(p).start() + inPiece : map.imageSize();
                        progress.update(at, download.fetched(), toFetch, now - start);
                    }
                }
                if (p != pieces.size()) {
                    throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": the download ended before the block map's last range");
                }
                if (!zeroed.zeroed()) {
                    writeHoles(out, map);
                }
                out.force();
                long skipped = zeroed.zeroed() ? map.imageSize() - map.mappedBytes() : 0;
                return new StreamPipeline.Result(download.fetched(), map.imageSize(), source.sha256(), System.nanoTime() - start, true, skipped,
                        out.writes(), download.resumes(), Compression.NONE, zeroed.how(), map.ranges().size(), out.direct());
            } catch (InstallException | IOException | InterruptedException e) {
                if (written > 0) {
                    StreamPipeline.wipe(out.channel(), Math.min(map.imageSize(), WIPE));
                }
                throw e;
            }
        } catch (IOException e) {
            throw new InstallException(Kind.WRITE, "writing " + target.path() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallException(Kind.WRITE, "interrupted while writing " + target.path(), e);
        } finally {
            download.cancel();
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void verify(Source source, BlockMap map, BlockMap.Range r, MessageDigest sha) throws InstallException {
        String actual = Sha256.hex(sha.digest());
        if (!actual.equals(r.sha256())) {
            throw new InstallException(Kind.CHECKSUM_MISMATCH, "source " + source.uri() + " bytes " + map.start(r) + "-" + (map.end(r) - 1)
                    + " (block map range " + r.first() + "-" + r.last() + ") sha256 " + actual + " (expected: " + r.sha256() + ")");
        }
    }

    /** Writes zeros over every unmapped byte of the image (a target that could not be zeroed cheaply). */
    private static void writeHoles(TargetWriter out, BlockMap map) throws IOException, InstallException {
        byte[] zeros = new byte[StreamPipeline.BLOCK];
        long at = 0;
        List<BlockMap.Range> ranges = map.ranges();
        for (int i = 0; i <= ranges.size(); i++) {
            long holeEnd = i < ranges.size() ? map.start(ranges.get(i)) : map.imageSize();
            while (at < holeEnd) {
                int n = (int) Math.min(zeros.length, holeEnd - at);
                out.write(zeros, 0, n, at);
                at += n;
            }
            if (i < ranges.size()) {
                at = map.end(ranges.get(i));
            }
        }
    }

    /** The download stage: the requests in order, their bodies into the queue back to back. */
    private final class Download implements Runnable {
        private final URI uri;
        private final List<Request> requests;
        private final long imageSize;
        private final ChunkQueue out;
        private volatile Fetcher current;
        private volatile boolean cancelled;
        private volatile long done;
        private volatile int resumes;

        Download(URI uri, List<Request> requests, long imageSize, ChunkQueue out) {
            this.uri = uri;
            this.requests = requests;
            this.imageSize = imageSize;
            this.out = out;
        }

        long fetched() {
            Fetcher f = current;
            return done + (f == null ? 0 : f.count());
        }

        int resumes() {
            Fetcher f = current;
            return resumes + (f == null ? 0 : f.resumes());
        }

        void cancel() {
            cancelled = true;
            Fetcher f = current;
            if (f != null) {
                f.cancel();
            }
        }

        @Override
        public void run() {
            try {
                for (Request r : requests) {
                    Fetcher f = Fetcher.range(uri, connectTimeout, readTimeout, maxResumes, resumeBackoff, r.from(), r.to(), imageSize);
                    current = f;
                    if (cancelled) {
                        return;
                    }
                    f.open();
                    while (true) {
                        byte[] buf = out.acquire();
                        int n = f.fill(buf);
                        if (n > 0) {
                            out.put(buf, n);
                        } else {
                            out.release(new ChunkQueue.Chunk(buf, 0)); // the pool must not shrink between requests
                        }
                        if (n < buf.length) {
                            break;
                        }
                    }
                    if (f.count() != r.to() - r.from()) {
                        throw new InstallException(Kind.SIZE_MISMATCH, "GET " + uri + " bytes " + r.from() + "-" + (r.to() - 1) + ": "
                                + f.count() + " bytes (expected: " + (r.to() - r.from()) + ")");
                    }
                    f.finish();
                    resumes += f.resumes();
                    done += f.count();
                    current = null;
                }
                out.end();
            } catch (InstallException e) {
                out.fail(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
