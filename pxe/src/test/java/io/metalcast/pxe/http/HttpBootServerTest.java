package io.metalcast.pxe.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.pxe.net.DirectoryPolicy;
import io.metalcast.pxe.net.Transports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpBootServerTest {
    static final int BIG = 64 * 1024 * 1024;
    static final String SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT";

    @TempDir
    static Path dir;
    static Path root;
    static ExecutorService blocking;
    static SimpleMeterRegistry registry;
    static DirectoryPolicy policy;
    static HttpBootServer server;
    static HttpClient client;
    static byte[] rangeBytes;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("small.txt"), "hello boot\n");
        rangeBytes = new byte[1000];
        new Random(1).nextBytes(rangeBytes);
        Files.write(root.resolve("range.bin"), rangeBytes);
        Files.write(root.resolve("empty.bin"), new byte[0]);
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/real.bin"), "inside\n");
        Files.writeString(dir.resolve("secret"), SECRET);
        Files.createSymbolicLink(root.resolve("escape.bin"), dir.resolve("secret"));
        Files.createSymbolicLink(root.resolve("inside.bin"), root.resolve("sub/real.bin"));
        byte[] chunk = new byte[1 << 20];
        Random random = new Random(7);
        try (var out = Files.newOutputStream(root.resolve("big.bin"))) {
            for (int i = 0; i < BIG / chunk.length; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        AtomicInteger n = new AtomicInteger();
        blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "blocking-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        registry = new SimpleMeterRegistry();
        policy = new DirectoryPolicy(root);
        server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), policy, blocking, registry);
        server.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        blocking.shutdownNow();
        assertTrue(policy.threads.stream().allMatch(t -> t.startsWith("blocking-")),
                "policy called off the blocking executor: " + policy.threads);
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path);
    }

    static RawHttp raw() throws IOException {
        return new RawHttp(server.localAddress());
    }

    static String get(String target, String... headers) {
        StringBuilder sb = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: boot\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    @Test
    void getsFileWithExactHeaders() throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/small.txt")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("hello boot\n", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("11", r.headers().firstValue("content-length").orElseThrow());
        assertEquals("bytes", r.headers().firstValue("accept-ranges").orElseThrow());
        assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.headers().firstValue("etag").orElseThrow().matches("\"[0-9a-f]+-[0-9a-f]+\""));
        assertTrue(r.headers().firstValue("last-modified").orElseThrow().endsWith("GMT"));
        assertTrue(r.headers().firstValue("transfer-encoding").isEmpty());
    }

    @Test
    void servesGeneratedContent() throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/" + DirectoryPolicy.GENERATED + "?mac=aa")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertArrayEquals(DirectoryPolicy.GENERATED_BYTES, r.body());
        assertEquals("text/plain", r.headers().firstValue("content-type").orElseThrow());
        assertEquals(String.valueOf(DirectoryPolicy.GENERATED_BYTES.length), r.headers().firstValue("content-length").orElseThrow());
    }

    /** H9: HEAD sends exactly GET's headers and no body (the next response on the connection parses cleanly). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/small.txt|", "/generated.ipxe|", "/range.bin|Range: bytes=10-19", "/range.bin|Range: bytes=5000-",
            "/missing|", "/empty.bin|", "/escape.bin|"})
    void headMatchesGet(String target, String header) throws Exception {
        String[] extra = header == null ? new String[0] : new String[] {header};
        try (RawHttp c = raw()) {
            RawHttp.Response g = c.send(get(target, extra)).read(false);
            RawHttp.Response h = c.send(get(target, extra).replaceFirst("^GET", "HEAD")).read(true);
            RawHttp.Response again = c.send(get(target, extra)).read(false);
            assertEquals(g.status(), h.status());
            assertEquals(g.headers(), h.headers());
            assertEquals(g.headers(), again.headers());
            assertArrayEquals(g.body(), again.body());
            assertEquals(Long.parseLong(g.header("content-length")), g.body().length);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "bytes=0-99|206|bytes 0-99/1000",
            "bytes=900-|206|bytes 900-999/1000",
            "bytes=-100|206|bytes 900-999/1000",
            "bytes=-5000|206|bytes 0-999/1000",
            "bytes=990-5000|206|bytes 990-999/1000",
            "bytes=999-999|206|bytes 999-999/1000",
            "Bytes=1-2|206|bytes 1-2/1000",
            "bytes = 1-2|200|",
            "bytes=1000-|416|bytes */1000",
            "bytes=-0|416|bytes */1000",
            "bytes=99999999999999999999-|416|bytes */1000",
            "bytes=0-99999999999999999999|206|bytes 0-999/1000",
            "bytes=0-,0-|200|",
            "bytes=0-1,5-6|200|",
            "bytes=alpha|200|",
            "bytes=10|200|",
            "bytes=5-1|200|",
            "bytes=0-1 2-3|200|",
            "items=0-1|200|",
            "bytes=|200|",
    })
    void ranges(String range, int status, String contentRange) throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response r = c.send(get("/range.bin", "Range: " + range)).read(false);
            assertEquals(status, r.status());
            assertEquals(contentRange, r.header("content-range"));
            if (status == 206) {
                String[] span = contentRange.substring(6, contentRange.indexOf('/')).split("-");
                int first = Integer.parseInt(span[0]);
                int last = Integer.parseInt(span[1]);
                assertArrayEquals(Arrays.copyOfRange(rangeBytes, first, last + 1), r.body());
            } else if (status == 200) {
                assertArrayEquals(rangeBytes, r.body());
            }
        }
    }

    @Test
    void twoHundredRangesGetTheWholeFile() throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response r = c.send(get("/range.bin", "Range: bytes=" + "0-,".repeat(199) + "0-")).read(false);
            assertEquals(200, r.status());
            assertArrayEquals(rangeBytes, r.body());
        }
    }

    @Test
    void rangeOfEmptyFileIsUnsatisfiable() throws Exception {
        try (RawHttp c = raw()) {
            assertEquals(416, c.send(get("/empty.bin", "Range: bytes=0-")).read(false).status());
            assertEquals(200, c.send(get("/empty.bin")).read(false).status());
        }
    }

    /** H3: If-Range with another validator gets the whole file; with the current ETag the range. */
    @Test
    void ifRange() throws Exception {
        try (RawHttp c = raw()) {
            String etag = c.send(get("/range.bin")).read(false).header("etag");
            assertEquals(200, c.send(get("/range.bin", "Range: bytes=0-9", "If-Range: \"old\"")).read(false).status());
            RawHttp.Response r = c.send(get("/range.bin", "Range: bytes=0-9", "If-Range: " + etag)).read(false);
            assertEquals(206, r.status());
            assertEquals(10, r.body().length);
        }
    }

    /** Conditional GET and HEAD: 304 with the validators and no body; the connection stays usable. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "If-None-Match: {etag}|304",
            "If-None-Match: W/{etag}|304",
            "If-None-Match: \"x\", {etag}|304",
            "If-None-Match: *|304",
            "If-None-Match: \"x\"|200",
            "If-Modified-Since: {lm}|304",
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT|200",
            "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT|200",
            "If-Modified-Since: yesterday|200",
            "If-None-Match: \"x\";;If-Modified-Since: {lm}|200",
            "If-None-Match: {etag};;Range: bytes=0-9|304",
    })
    void conditionalRequests(String headers, int status) throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response plain = c.send(get("/range.bin")).read(false);
            String[] extra = headers.replace("{etag}", plain.header("etag")).replace("{lm}", plain.header("last-modified"))
                    .split(";;");
            for (String method : new String[] {"GET", "HEAD"}) {
                RawHttp.Response r = c.send(get("/range.bin", extra).replaceFirst("^GET", method))
                        .read(status == 304 || method.equals("HEAD"));
                assertEquals(status, r.status(), method);
                if (status == 304) {
                    assertEquals(plain.header("etag"), r.header("etag"));
                    assertEquals(plain.header("last-modified"), r.header("last-modified"));
                    assertNull(r.header("content-length"));
                } else if (method.equals("GET")) {
                    assertArrayEquals(rangeBytes, r.body());
                }
            }
            assertArrayEquals(rangeBytes, c.send(get("/range.bin")).read(false).body());
        }
    }

    @Test
    void notFoundAndMethodNotAllowed() throws Exception {
        try (RawHttp c = raw()) {
            assertEquals(404, c.send(get("/missing.bin")).read(false).status());
            assertEquals(404, c.send(get("/sub")).read(false).status());
            RawHttp.Response post = c.send("POST /small.txt HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n").read(false);
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.header("allow"));
        }
    }

    /** H7: encoded traversal never reaches a file outside the root. */
    @ParameterizedTest
    @ValueSource(strings = {"/%2e%2e/secret", "/.%2e/secret", "/%2e./secret", "/%252e%252e/secret", "/..%c0%af/secret",
            "/..%c0%afsecret", "/%5c..%5csecret", "/..\\secret", "/\\..\\secret", "/small.txt%00", "/%00",
            "/%2e%2e%2fsecret", "/..%2fsecret", "/sub%2freal.bin", "/sub/../../secret", "/../secret", "//../secret",
            "/sub/%2e%2e/%2e%2e/secret", "/%zz", "http://boot/../secret", "*", "secret"})
    void traversalIsRefused(String target) throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response r = c.send(get(target)).read(false);
            assertTrue(r.status() == 400 || r.status() == 404, "status " + r.status());
            assertFalse(new String(r.body(), StandardCharsets.ISO_8859_1).contains(SECRET));
        }
        try (RawHttp c = raw()) {
            assertEquals(200, c.send(get("/small.txt")).read(false).status());
        }
    }

    /** H8: a symlink out of the root is refused; one inside its tree is served. */
    @Test
    void symlinks() throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response escape = c.send(get("/escape.bin")).read(false);
            assertEquals(403, escape.status());
            assertFalse(new String(escape.body(), StandardCharsets.ISO_8859_1).contains(SECRET));
            RawHttp.Response inside = c.send(get("/inside.bin")).read(false);
            assertEquals(200, inside.status());
            assertEquals("inside\n", new String(inside.body(), StandardCharsets.US_ASCII));
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> malformed() {
        String get = "GET /small.txt HTTP/1.1\r\nHost: b\r\n";
        return java.util.stream.Stream.of(
                new String[] {"CL with TE", get + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
                new String[] {"TE with CL", get + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
                new String[] {"two equal CL", get + "Content-Length: 0\r\nContent-Length: 0\r\n\r\n"},
                new String[] {"two different CL", get + "Content-Length: 0\r\nContent-Length: 7\r\n\r\n"},
                new String[] {"CL list", get + "Content-Length: 0, 7\r\n\r\n"},
                new String[] {"header without colon", get + "NoColonHere\r\n\r\n"},
                new String[] {"space before colon", "GET /small.txt HTTP/1.1\r\nHost : b\r\n\r\n"},
                new String[] {"control character", get + "X-A: a\u0001b\r\n\r\n"},
                new String[] {"bare LF", "GET /small.txt HTTP/1.1\nHost: b\n\n"},
                new String[] {"two Hosts", get + "Host: c\r\n\r\n"},
                new String[] {"bad version", "GET /small.txt HTTP/9.9x\r\nHost: b\r\n\r\n"})
                .map(a -> org.junit.jupiter.params.provider.Arguments.of((Object[]) a));
    }

    /** H5: ambiguous framing and malformed header lines: 400 and close. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("malformed")
    void malformedRequestsGet400AndClose(String name, String request) throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response r = c.send(request).read(false);
            assertEquals(400, r.status(), name);
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByServer());
        }
    }

    /** H6: oversized request line and header section. */
    @Test
    void oversizedRequests() throws Exception {
        try (RawHttp c = raw()) {
            assertEquals(414, c.send(get("/" + "a".repeat(9000))).read(false).status());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = raw()) {
            String[] many = new String[1000];
            for (int i = 0; i < many.length; i++) {
                many[i] = "X-Header-" + i + ": value";
            }
            assertEquals(431, c.send(get("/small.txt", many)).read(false).status());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = raw()) {
            assertEquals(431, c.send(get("/small.txt", "X-Big: " + "v".repeat(20_000))).read(false).status());
        }
        try (RawHttp c = raw()) {
            assertEquals(200, c.send(get("/small.txt")).read(false).status());
        }
    }

    @Test
    void downloads64MiBWithExactSha256() throws Exception {
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri("/big.bin")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(String.valueOf(BIG), r.headers().firstValue("content-length").orElseThrow());
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
                total += n;
            }
        }
        MessageDigest want = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(root.resolve("big.bin"))) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                want.update(buf, 0, n);
            }
        }
        assertEquals(BIG, total);
        assertEquals(HexFormat.of().formatHex(want.digest()), HexFormat.of().formatHex(got.digest()));
    }

    @Test
    void keepAliveAndPipelining() throws Exception {
        try (RawHttp c = raw()) {
            assertEquals("hello boot\n", new String(c.send(get("/small.txt")).read(false).body(), StandardCharsets.US_ASCII));
            assertArrayEquals(rangeBytes, c.send(get("/range.bin")).read(false).body());
            c.send(get("/small.txt") + get("/missing") + get("/range.bin", "Range: bytes=0-4"));
            assertEquals(200, c.read(false).status());
            assertEquals(404, c.read(false).status());
            RawHttp.Response third = c.read(false);
            assertEquals(206, third.status());
            assertArrayEquals(Arrays.copyOf(rangeBytes, 5), third.body());
        }
    }

    @Test
    void http10WithoutKeepAliveCloses() throws Exception {
        try (RawHttp c = raw()) {
            RawHttp.Response r = c.send("GET /small.txt HTTP/1.0\r\n\r\n").read(false);
            assertEquals(200, r.status());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = raw()) {
            String request = "GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
            assertEquals("keep-alive", c.send(request).read(false).header("connection"));
            assertEquals(200, c.send(request).read(false).status());
        }
    }

    @Test
    void headerAndIdleTimeoutsClose() throws Exception {
        HttpLimits limits = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300));
        try (HttpBootServer quick = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), policy,
                blocking, new SimpleMeterRegistry(), limits, Transports.nio())) {
            quick.start();
            try (RawHttp silent = new RawHttp(quick.localAddress()); RawHttp partial = new RawHttp(quick.localAddress())) {
                partial.send("GET /small.txt HTTP/1.1\r\nHo");
                long t0 = System.nanoTime();
                assertTrue(silent.closedByServer());
                assertTrue(partial.closedByServer());
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
            }
            try (RawHttp c = new RawHttp(quick.localAddress())) {
                assertEquals(200, c.send(get("/small.txt")).read(false).status());
                assertTrue(c.closedByServer()); // idle after the response: closed by the header timeout
            }
        }
    }

    @Test
    void startFailsClearlyWhenPortIsTaken() {
        HttpBootServer clash = new HttpBootServer(server.localAddress(), policy, blocking, new SimpleMeterRegistry());
        IOException e = assertThrows(IOException.class, clash::start);
        assertTrue(e.getMessage().startsWith("http: cannot bind"), e.getMessage());
        clash.close();
    }

    @Test
    void countsRequestsAndBytes() throws Exception {
        double ok = registry.counter("http.requests", "method", "GET", "result", "ok").count();
        double refused = registry.counter("http.requests", "method", "GET", "result", "refused").count();
        double bytes = registry.get("http.bytes").counter().count();
        try (RawHttp c = raw()) {
            c.send(get("/small.txt")).read(false);
            assertEquals(400, c.send(get("/%2e%2e/secret")).read(false).status());
        }
        assertEquals(ok + 1, registry.counter("http.requests", "method", "GET", "result", "ok").count());
        assertEquals(refused + 1, registry.counter("http.requests", "method", "GET", "result", "refused").count());
        long deadline = System.nanoTime() + 5_000_000_000L; // bytes are counted when the write completes
        while (registry.get("http.bytes").counter().count() < bytes + 11 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(registry.get("http.bytes").counter().count() >= bytes + 11);
    }

    @Test
    void requestPathKeepsQueryAndRefusesEncodedSeparators() {
        assertEquals("ipxe.cfg?mac=aa%3Abb", HttpBootHandler.requestPath("/ipxe.cfg?mac=aa%3Abb").orElseThrow());
        assertEquals("a b", HttpBootHandler.requestPath("/a%20b").orElseThrow());
        assertEquals("x", HttpBootHandler.requestPath("http://h:5248/x").orElseThrow());
        assertNull(HttpBootHandler.requestPath("/a%2Fb").orElse(null));
    }
}
