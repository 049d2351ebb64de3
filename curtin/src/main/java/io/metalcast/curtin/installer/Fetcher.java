package io.metalcast.curtin.installer;

import io.metalcast.curtin.installer.InstallException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one source, or one byte range of it, into full buffers. A connection that drops (an error, or an end
 * before the announced length) is resumed with {@code Range: bytes=<n>-} (or {@code <n>-<last>} for a range); the
 * answer must be 206 with a matching {@code Content-Range}, and a server that ignores the range fails the download
 * instead of silently starting over.
 * The bytes are hashed here, continuously across resumes, unless a later stage hashes them.
 * Not thread-safe: one thread fills, any thread may {@link #cancel}.
 */
final class Fetcher {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final URI uri;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxResumes;
    private final Duration resumeBackoff;
    private final Checksum checksum;
    private final long from;
    private final long to;
    private final long complete;
    private volatile URLConnection connection;
    private volatile boolean cancelled;
    private InputStream in;
    private long total = -1;
    private volatile long count;
    private volatile int resumes;
    private int failuresSinceProgress;
    private long countAtLastResume;

    /** {@code checksum}: fed every byte as it arrives; null when a later stage hashes the bytes instead. */
    Fetcher(URI uri, Duration connectTimeout, Duration readTimeout, int maxResumes, Duration resumeBackoff, Checksum checksum) {
        this(uri, connectTimeout, readTimeout, maxResumes, resumeBackoff, checksum, -1, -1, -1);
    }

    private Fetcher(URI uri, Duration connectTimeout, Duration readTimeout, int maxResumes, Duration resumeBackoff, Checksum checksum,
                    long from, long to, long complete) {
        this.uri = uri;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxResumes = maxResumes;
        this.resumeBackoff = resumeBackoff;
        this.checksum = checksum;
        this.from = from;
        this.to = to;
        this.complete = complete;
    }

    /** Bytes {@code [from, to)} of a resource {@code complete} bytes long (-1: unknown), not hashed here. */
    static Fetcher range(URI uri, Duration connectTimeout, Duration readTimeout, int maxResumes, Duration resumeBackoff, long from, long to,
                         long complete) {
        if (from < 0 || to <= from) {
            throw new IllegalArgumentException("range: " + from + "-" + to + " (expected: 0 <= from < to)");
        }
        return new Fetcher(uri, connectTimeout, readTimeout, maxResumes, resumeBackoff, null, from, to, complete);
    }

    /** Sends the first request; afterwards {@link #total()} is the announced length (-1 when none). */
    void open() throws InstallException {
        URLConnection c = connect(false);
        total = from >= 0 ? to - from : c.getContentLengthLong();
        in = input(c);
    }

    long total() {
        return total;
    }

    long count() {
        return count;
    }

    int resumes() {
        return resumes;
    }

    /** Fills {@code buf} from the start; returns how many bytes it holds, less than its length only at the end. */
    int fill(byte[] buf) throws InstallException {
        int n = 0;
        while (n < buf.length) {
            int r;
            try {
                r = in.read(buf, n, buf.length - n);
            } catch (IOException e) {
                resume(e.toString());
                continue;
            }
            if (r < 0) {
                if (total >= 0 && count < total) {
                    resume("connection closed after " + count + " of " + total + " bytes");
                    continue;
                }
                break;
            }
            if (checksum != null) {
                checksum.update(buf, n, r);
            }
            count += r;
            n += r;
        }
        return n;
    }

    /** Stops the download from another thread: a blocked read fails at once. */
    void cancel() {
        cancelled = true;
        close(connection);
    }

    void close() {
        close(connection);
    }

    /** After a complete read: closes the body so the connection may carry the next request (HTTP keep-alive). */
    void finish() {
        try {
            in.close();
        } catch (IOException e) {
            close(connection);
        }
    }

    private void resume(String why) throws InstallException {
        if (cancelled) {
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": cancelled");
        }
        close(connection);
        if (count > countAtLastResume) {
            failuresSinceProgress = 0;
        }
        countAtLastResume = count;
        if (++failuresSinceProgress > maxResumes) {
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + " broke after " + count + " bytes: " + why + " (gave up after "
                    + maxResumes + " resumes without progress)");
        }
        sleep(resumeBackoff.toMillis() * failuresSinceProgress);
        resumes++;
        URLConnection c = connect(true);
        in = input(c);
    }

    private String what() {
        return "GET " + uri + (from >= 0 ? " bytes " + from + "-" + (to - 1) : "");
    }

    /** The first request ({@code resume} false) or a resume after {@link #count} bytes. */
    private URLConnection connect(boolean resume) throws InstallException {
        long start = (from >= 0 ? from : 0) + (resume ? count : 0);
        boolean partial = from >= 0 || resume;
        try {
            URLConnection c = uri.toURL().openConnection();
            connection = c;
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            if (c instanceof HttpURLConnection http) {
                http.setRequestProperty("User-Agent", "metalcast-installer");
                http.setRequestProperty("Accept-Encoding", "identity");
                if (partial) {
                    http.setRequestProperty("Range", "bytes=" + start + "-" + (from >= 0 ? Long.toString(to - 1) : ""));
                }
                int status = http.getResponseCode();
                if (!partial && status != 200) {
                    http.disconnect();
                    throw new InstallException(Kind.DOWNLOAD, what() + ": HTTP " + status + " (expected: 200)");
                }
                if (partial) {
                    checkPartial(http, status, start);
                }
            } else if (partial) {
                throw new InstallException(Kind.DOWNLOAD, what() + (resume ? " broke after " + count + " bytes and " : ": ")
                        + uri.getScheme() + " cannot " + (resume ? "resume" : "fetch a range"));
            }
            return c;
        } catch (IOException | IllegalArgumentException e) {
            throw new InstallException(Kind.DOWNLOAD, what() + (resume ? " (resuming at byte " + start + ")" : "") + ": " + e, e);
        }
    }

    private void checkPartial(HttpURLConnection http, int status, long start) throws InstallException {
        String ask = from >= 0 && count == 0 ? what() : what() + " broke after " + count + " bytes and";
        if (status != 206) {
            http.disconnect();
            throw new InstallException(Kind.DOWNLOAD, ask + " the server cannot resume it: Range request answered with HTTP " + status
                    + " (expected: 206)");
        }
        long last = from >= 0 ? to - 1 : total - 1;
        long length = from >= 0 ? complete : total;
        String range = http.getHeaderField("Content-Range");
        Matcher m = range == null ? null : CONTENT_RANGE.matcher(range.trim());
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) != start
                || (length >= 0 && !m.group(3).equals("*") && Long.parseLong(m.group(3)) != length)
                || (last >= 0 && Long.parseLong(m.group(2)) != last)) {
            http.disconnect();
            throw new InstallException(Kind.DOWNLOAD, what() + " at byte " + start + ": Content-Range '" + range
                    + "' (expected: bytes " + start + "-" + (last >= 0 ? last + "/" + (length >= 0 ? length : "*") : "END/LENGTH") + ")");
        }
    }

    private InputStream input(URLConnection c) throws InstallException {
        try {
            return c.getInputStream();
        } catch (IOException e) {
            close(c);
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": " + e, e);
        }
    }

    private static void close(URLConnection c) {
        if (c instanceof HttpURLConnection http) {
            http.disconnect();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
