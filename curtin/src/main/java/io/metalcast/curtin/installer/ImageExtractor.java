package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Streams a dd source onto the target: one thread fetches, hashes and decodes into 4 MiB buffers, the calling thread
 * writes them in order; a small bounded queue sits between. Checks the sha256 and size of the fetched bytes when the
 * source names them, refuses a target smaller than the image, and forces the data to the device at the end.
 */
final class ImageExtractor {
    static final int BLOCK = 4 << 20;
    private static final int BUFFERS = 3;
    private static final int WIPE = 1 << 20;

    /** Told about the extract as it goes, at most once per progress interval. */
    interface Progress {
        void update(long written, long expected, long nanos);
    }

    /** What the extract did. {@code sourceBytes} were fetched, {@code written} went to the target. */
    record Result(long sourceBytes, long written, String sha256, long nanos, boolean sha256Checked) {
    }

    private sealed interface Item permits Chunk, End, Failed {
    }

    private record Chunk(byte[] data, int length) implements Item {
    }

    private record End() implements Item {
    }

    private record Failed(IOException error) implements Item {
    }

    private final Duration progressInterval;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    ImageExtractor(Duration progressInterval, Duration connectTimeout, Duration readTimeout) {
        this.progressInterval = progressInterval;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    Result extract(Source source, SourceDecoder decoder, TargetDisk target, Progress progress) throws InstallException {
        long start = System.nanoTime();
        URLConnection connection = open(source.uri());
        long contentLength = connection.getContentLengthLong();
        if (source.size() >= 0 && contentLength >= 0 && source.size() != contentLength) {
            close(connection);
            throw new InstallException(Kind.SIZE_MISMATCH, "source " + source.uri() + " is " + contentLength + " bytes (expected: "
                    + source.size() + ")");
        }
        long fetchLength = source.size() >= 0 ? source.size() : contentLength;
        long imageLength = decoder.preservesLength() ? fetchLength : -1;
        if (imageLength > target.size()) {
            close(connection);
            throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                    + " bytes, the image needs " + imageLength);
        }
        Hashing fetched;
        InputStream image;
        try {
            fetched = new Hashing(connection.getInputStream());
            image = decoder.decode(fetched);
        } catch (IOException e) {
            close(connection);
            throw new InstallException(Kind.DOWNLOAD, "GET " + source.uri() + ": " + e.getMessage(), e);
        }
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
        BlockingQueue<Item> full = new ArrayBlockingQueue<>(BUFFERS);
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[BLOCK]);
        }
        Thread reader = new Thread(() -> read(image, free, full), "metalcast-extract-reader");
        reader.setDaemon(true);
        reader.start();
        long written = 0;
        try (FileChannel out = FileChannel.open(target.path(), StandardOpenOption.WRITE)) {
            try {
                long lastProgress = start;
                while (true) {
                    Item item = take(full);
                    if (item instanceof Failed f) {
                        throw new InstallException(Kind.DOWNLOAD, "GET " + source.uri() + " broke after " + fetched.count + " bytes: "
                                + f.error().getMessage(), f.error());
                    }
                    if (item instanceof End) {
                        break;
                    }
                    Chunk c = (Chunk) item;
                    if (written + c.length() > target.size()) {
                        throw new InstallException(Kind.TARGET_TOO_SMALL, "target " + target.path() + " holds " + target.size()
                                + " bytes, the image is longer");
                    }
                    writeFully(out, ByteBuffer.wrap(c.data(), 0, c.length()), written, target);
                    written += c.length();
                    free.add(c.data());
                    long now = System.nanoTime();
                    if (now - lastProgress >= progressInterval.toNanos()) {
                        lastProgress = now;
                        progress.update(written, imageLength, now - start);
                    }
                }
                String sha256 = HexFormat.of().formatHex(fetched.digest.digest());
                InstallException mismatch = verify(source, contentLength, fetched.count, sha256);
                if (mismatch != null) {
                    throw mismatch;
                }
                out.force(true);
                return new Result(fetched.count, written, sha256, System.nanoTime() - start, !source.sha256().isEmpty());
            } catch (InstallException | IOException e) {
                wipe(out, Math.min(written, WIPE));
                throw e;
            }
        } catch (IOException e) {
            throw new InstallException(Kind.WRITE, "writing " + target.path() + " at byte " + written + ": " + e.getMessage(), e);
        } finally {
            reader.interrupt();
            close(connection);
        }
    }

    private static InstallException verify(Source source, long contentLength, long count, String sha256) {
        if (contentLength >= 0 && count != contentLength) {
            return new InstallException(Kind.DOWNLOAD, "GET " + source.uri() + ": connection closed after " + count + " of "
                    + contentLength + " bytes");
        }
        if (source.size() >= 0 && count != source.size()) {
            return new InstallException(Kind.SIZE_MISMATCH, "source " + source.uri() + " is " + count + " bytes (expected: "
                    + source.size() + ")");
        }
        if (!source.sha256().isEmpty() && !source.sha256().equals(sha256)) {
            return new InstallException(Kind.CHECKSUM_MISMATCH, "source " + source.uri() + " sha256 " + sha256 + " (expected: "
                    + source.sha256() + ")");
        }
        return null;
    }

    /**
     * A target holding a partial or corrupt image must not boot it: zero what was written of its first MiB (partition
     * table and boot code). Best effort: the original failure is what gets reported.
     */
    private static void wipe(FileChannel out, long length) {
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

    private static void read(InputStream image, BlockingQueue<byte[]> free, BlockingQueue<Item> full) {
        try (image) {
            while (true) {
                byte[] buf = free.take();
                int n = image.readNBytes(buf, 0, buf.length);
                if (n > 0) {
                    full.put(new Chunk(buf, n));
                }
                if (n < buf.length) {
                    full.put(new End());
                    return;
                }
            }
        } catch (IOException e) {
            full.offer(new Failed(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Item take(BlockingQueue<Item> full) throws InstallException {
        try {
            return full.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallException(Kind.WRITE, "interrupted while writing", e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer data, long position, TargetDisk target) throws IOException {
        long at = position;
        while (data.hasRemaining()) {
            int n = out.write(data, at);
            if (n <= 0) {
                throw new IOException("no progress writing " + target.path());
            }
            at += n;
        }
    }

    private URLConnection open(String uri) throws InstallException {
        try {
            URLConnection c = URI.create(uri).toURL().openConnection();
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            if (c instanceof HttpURLConnection http) {
                http.setRequestProperty("User-Agent", "metalcast-installer");
                http.setRequestProperty("Accept-Encoding", "identity");
                int status = http.getResponseCode();
                if (status != 200) {
                    http.disconnect();
                    throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": HTTP " + status + " (expected: 200)");
                }
            }
            return c;
        } catch (IOException | IllegalArgumentException e) {
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": " + e, e);
        }
    }

    private static void close(URLConnection c) {
        if (c instanceof HttpURLConnection http) {
            http.disconnect();
        }
    }

    /** Counts and hashes the fetched bytes on their way to the decoder. */
    private static final class Hashing extends FilterInputStream {
        final MessageDigest digest;
        volatile long count;

        Hashing(InputStream in) {
            super(in);
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 missing from this runtime", e);
            }
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                digest.update((byte) b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("skip would leave bytes unhashed");
        }
    }
}
