package io.metalcast.pxe.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.pxe.net.DirectoryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Range, ETag, conditional and HEAD semantics as the real curl client sees them. */
class HttpCurlTest {
    static final long MTIME = 1_700_000_000_000L;
    static final String MTIME_HTTP = DateTimeFormatter.RFC_1123_DATE_TIME.format(
            Instant.ofEpochMilli(MTIME).atZone(ZoneOffset.UTC));

    @TempDir
    static Path dir;
    @TempDir
    Path work;
    static Path root;
    static byte[] data;
    static ExecutorService blocking;
    static HttpBootServer server;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        data = new byte[300_000];
        new Random(3).nextBytes(data);
        Files.write(root.resolve("image.bin"), data);
        Files.setLastModifiedTime(root.resolve("image.bin"), FileTime.fromMillis(MTIME));
        Files.writeString(dir.resolve("secret"), "SECRET");
        blocking = Executors.newFixedThreadPool(2);
        server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new DirectoryPolicy(root),
                blocking, new SimpleMeterRegistry());
        server.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        blocking.shutdownNow();
    }

    static String url(String path) {
        return "http://127.0.0.1:" + server.localAddress().getPort() + path;
    }

    /** Runs curl; returns what {@code -w} printed (stdout). */
    static String curl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--max-time", "20"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "curl " + cmd + ": " + out);
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Status, body and Content-Range for curl's own range and conditional options ({@code -z DATE} sends
     * If-Modified-Since, {@code -z -DATE} If-Unmodified-Since, which is ignored; '_' stands for a space in a date).
     */
    @ParameterizedTest(name = "curl {0}")
    @CsvSource(delimiter = '|', value = {
            "            | 200 | 0      | 299999 |",
            "-r 0-99     | 206 | 0      | 99     | bytes 0-99/300000",
            "-r 299990-  | 206 | 299990 | 299999 | bytes 299990-299999/300000",
            "-r -10      | 206 | 299990 | 299999 | bytes 299990-299999/300000",
            "-r 0-1,5-6  | 200 | 0      | 299999 |",
            "-r 300000-  | 416 |        |        | bytes */300000",
            "-z Tue,_14_Nov_2023_22:13:20_GMT  | 304 |  |  |",
            "-z Wed,_15_Nov_2023_00:00:00_GMT  | 304 |  |  |",
            "-z Mon,_13_Nov_2023_00:00:00_GMT  | 200 | 0 | 299999 |",
            "-z -Wed,_15_Nov_2023_00:00:00_GMT | 200 | 0 | 299999 |",
    })
    void semantics(String options, int status, Integer first, Integer last, String contentRange) throws Exception {
        Path body = work.resolve("body");
        Path headers = work.resolve("headers");
        List<String> args = new ArrayList<>();
        if (options != null) {
            for (String part : options.trim().split(" +")) {
                args.add(part.replace('_', ' '));
            }
        }
        args.addAll(List.of("-o", body.toString(), "-D", headers.toString(), "-w", "%{http_code} %{size_download}",
                url("/image.bin")));
        String[] out = curl(args.toArray(String[]::new)).trim().split(" ");
        assertEquals(status, Integer.parseInt(out[0]));
        String head = Files.readString(headers, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        assertFalse(head.contains("transfer-encoding"), head);
        if (first != null) {
            byte[] want = Arrays.copyOfRange(data, first, last + 1);
            assertArrayEquals(want, Files.readAllBytes(body));
            assertTrue(head.contains("content-length: " + want.length + "\r\n"), head);
        } else if (status == 304) {
            assertEquals("0", out[1]);
        }
        if (contentRange != null) {
            assertTrue(head.contains("content-range: " + contentRange.toLowerCase(java.util.Locale.ROOT) + "\r\n"), head);
        }
        if (status == 304) {
            assertTrue(head.contains("etag: \""), head);
            assertTrue(head.contains("last-modified: " + MTIME_HTTP.toLowerCase(java.util.Locale.ROOT)), head);
        }
    }

    @Test
    void headMatchesGetHeaders() throws Exception {
        String head = curl("-I", url("/image.bin"));
        String get = curl("-D", "-", "-o", "/dev/null", url("/image.bin"));
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        assertEquals(get, head);
        assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-length: 300000\r\n"), head);
    }

    /** curl's ETag round trip: the saved ETag makes the second request a 304 with no body. */
    @Test
    void etagSaveAndCompare() throws Exception {
        Path etag = work.resolve("etag");
        Path body = work.resolve("body");
        assertEquals("200 300000", curl("--etag-save", etag.toString(), "-o", body.toString(),
                "-w", "%{http_code} %{size_download}", url("/image.bin")));
        assertTrue(Files.readString(etag).trim().matches("\"[0-9a-f]+-[0-9a-f]+\""), Files.readString(etag));
        assertEquals("304 0", curl("--etag-compare", etag.toString(), "-o", work.resolve("again").toString(),
                "-w", "%{http_code} %{size_download}", url("/image.bin")));
        Files.writeString(etag, "\"something-else\"\n");
        assertEquals("200 300000", curl("--etag-compare", etag.toString(), "-o", work.resolve("third").toString(),
                "-w", "%{http_code} %{size_download}", url("/image.bin")));
    }

    /** An interrupted download resumed with {@code -C -} ends byte-exact. */
    @Test
    void resumeCompletesExactly() throws Exception {
        Path partial = work.resolve("partial");
        Files.write(partial, Arrays.copyOf(data, 123_457));
        assertEquals("206", curl("-C", "-", "-o", partial.toString(), "-w", "%{http_code}", url("/image.bin")));
        assertArrayEquals(data, Files.readAllBytes(partial));
    }

    /** Two transfers in one curl run share the connection (keep-alive). */
    @Test
    void keepAliveReusesTheConnection() throws Exception {
        String out = curl("-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code}:%{num_connects} ",
                url("/image.bin"), url("/image.bin"));
        assertEquals("200:1 200:0", out.trim());
    }

    @ParameterizedTest
    @CsvSource({"/../secret", "/%2e%2e/secret", "/missing.bin"})
    void outsideOrMissingIsRefused(String path) throws Exception {
        Path body = work.resolve("body");
        String code = curl("--path-as-is", "-o", body.toString(), "-w", "%{http_code}", url(path));
        assertTrue(code.equals("400") || code.equals("404"), code);
        assertFalse(Files.readString(body, StandardCharsets.ISO_8859_1).contains("SECRET"));
    }
}
