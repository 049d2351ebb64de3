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
 * Downloads one source into full buffers. A connection that drops (an error, or an end
 * before the announced length) is resumed with {@code Range: bytes=<n>-}; the answer must be 206 with a matching
 * {@code Content-Range}, and a server that ignores the range fails the download instead of silently starting over.
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
        this.uri = uri;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxResumes = maxResumes;
        this.resumeBackoff = resumeBackoff;
        this.checksum = checksum;
    }

    /** Sends the first request; afterwards {@link #total()} is the announced length (-1 when none). */
    void open() throws InstallException {
        URLConnection c = connect(-1);
        total = c.getContentLengthLong();
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
        URLConnection c = connect(count);
        in = input(c);
    }

    private URLConnection connect(long from) throws InstallException {
        try {
            URLConnection c = uri.toURL().openConnection();
            connection = c;
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            if (c instanceof HttpURLConnection http) {
                http.setRequestProperty("User-Agent", "metalcast-installer");
                http.setRequestProperty("Accept-Encoding", "identity");
                if (from >= 0) {
                    http.setRequestProperty("Range", "bytes=" + from + "-");
                }
                int status = http.getResponseCode();
                if (from < 0 && status != 200) {
                    http.disconnect();
                    throw new InstallException(Kind.DOWNLOAD, "GET " + uri + ": HTTP " + status + " (expected: 200)");
                }
                if (from >= 0) {
                    checkPartial(http, status, from);
                }
            } else if (from >= 0) {
                throw new InstallException(Kind.DOWNLOAD, "GET " + uri + " broke after " + from + " bytes and " + uri.getScheme()
                        + " cannot resume");
            }
            return c;
        } catch (IOException | IllegalArgumentException e) {
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + (from >= 0 ? " (resuming at byte " + from + ")" : "") + ": " + e, e);
        }
    }

    private void checkPartial(HttpURLConnection http, int status, long from) throws InstallException {
        if (status != 206) {
            http.disconnect();
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + " broke after " + from + " bytes and the server cannot resume it: "
                    + "Range request answered with HTTP " + status + " (expected: 206)");
        }
        String range = http.getHeaderField("Content-Range");
        Matcher m = range == null ? null : CONTENT_RANGE.matcher(range.trim());
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) != from
                || (total >= 0 && !m.group(3).equals("*") && Long.parseLong(m.group(3)) != total)
                || (total >= 0 && Long.parseLong(m.group(2)) != total - 1)) {
            http.disconnect();
            throw new InstallException(Kind.DOWNLOAD, "GET " + uri + " resume at byte " + from + ": Content-Range '" + range
                    + "' (expected: bytes " + from + "-" + (total >= 0 ? (total - 1) + "/" + total : "END/LENGTH") + ")");
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
