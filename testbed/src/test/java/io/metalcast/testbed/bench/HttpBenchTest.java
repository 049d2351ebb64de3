package io.metalcast.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.pxe.http.HttpBootServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpBenchTest {
    @TempDir
    Path dir;

    @Test
    void defaults() {
        HttpBench.Options o = HttpBench.parse(List.of(), Path.of("/home/x/.cache/metalcast"));
        assertEquals(new HttpBench.Options(2048, 3, List.of(1, 32), Path.of("/home/x/.cache/metalcast"), "java"), o);
        assertEquals(2048L << 20, o.sizeBytes());

    }

    @Test
    void options() {
        HttpBench.Options o = HttpBench.parse(List.of("--size-mib", "64", "--runs", "5", "--clients", "1, 8,64",
                "--cache", "/tmp/c", "--client", "curl"), Path.of("/ignored"));
        assertEquals(new HttpBench.Options(64, 5, List.of(1, 8, 64), Path.of("/tmp/c"), "curl"), o);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--runs|runs: 0 (expected: 1..100)|0",
            "--size-mib|size-mib: 0 (expected: 1..1048576)|0",
            "--clients|clients: [1, 0] (expected: 1..1024 each, at least one)|1,0",
            "--client|client: wget (expected: java or curl)|wget",
            "--runs|--runs: 'x' (expected: a number)|x",
            "--bogus|option: --bogus (expected: --size-mib, --runs, --clients, --cache, --client)|1",
    })
    void badOptions(String option, String message, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpBench.parse(List.of(option, value), Path.of("/h")));
        assertEquals(message, e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HttpBench.parse(List.of("--runs"), Path.of("/h")));
    }

    @Test
    void runReturnsTwoOnBadOptions() throws Exception {
        assertEquals(2, HttpBench.run(List.of("--runs", "0"), Path.of("/h")));
    }

    @Test
    void medianAndRatios() {
        assertEquals(2.0, HttpBench.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, HttpBench.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertThrows(IllegalArgumentException.class, () -> HttpBench.median(List.of()));
        Map<String, Double> medians = Map.of("metalcast/1", 1500.0, "nginx/1", 1000.0,
                "metalcast/32", 2000.0, "nginx/32", 3000.0);
        assertEquals("ratio_1=1.50 ratio_32=0.67", HttpBench.ratioLine(List.of(1, 32), medians));
    }

    @Test
    void table() {
        List<HttpBench.Sample> samples = List.of(new HttpBench.Sample("metalcast", 1, 1000, 0.5),
                new HttpBench.Sample("nginx", 1, 900, 0.4), new HttpBench.Sample("metalcast", 1, 1200, 0.3),
                new HttpBench.Sample("nginx", 1, 950, 0.4), new HttpBench.Sample("metalcast", 1, 1100, 0.25),
                new HttpBench.Sample("nginx", 1, 920, 0.45));
        String[] lines = HttpBench.table(List.of(1), samples, 65536, 81920).split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].startsWith("server"), lines[0]);
        assertTrue(lines[1].matches("metalcast +1 +1100  1000 1200 1100 +0\\.300  64\\.0 -> 80\\.0 \\(growth 16\\.0\\)"), lines[1]);
        assertTrue(lines[2].matches("nginx +1 +920  900 950 920 +0\\.400  -"), lines[2]);
    }

    @Test
    void nginxConfiguration() {
        String conf = HttpBench.nginxConf(Path.of("/tmp/b"), Path.of("/data"), 8080, true);
        for (String want : List.of("user root;", "sendfile on;", "tcp_nopush on;", "access_log off;", "worker_processes auto;",
                "listen 127.0.0.1:8080;", "root /data;", "pid /tmp/b/nginx.pid;")) {
            assertTrue(conf.contains(want), want + " in\n" + conf);
        }
        assertTrue(!HttpBench.nginxConf(Path.of("/tmp/b"), Path.of("/data"), 8080, false).contains("user "));
    }

    @Test
    void testFileIsWrittenOnceAndReused() throws Exception {
        Path f = HttpBench.testFile(dir, 1 << 20);
        assertEquals(1 << 20, Files.size(f));
        byte[] bytes = Files.readAllBytes(f);
        assertTrue(bytes[0] != 0 || bytes[1] != 0 || bytes[4095] != 0, "looks sparse");
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000_000_000L));
        assertEquals(f, HttpBench.testFile(dir, 1 << 20));
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(f).toMillis());
    }

    @Test
    void contentLength() throws IOException {
        assertEquals(42, HttpBench.contentLength("HTTP/1.1 200 OK\r\nServer: x\r\ncontent-length: 42"));
        assertThrows(IOException.class, () -> HttpBench.contentLength("HTTP/1.1 404 Not Found\r\nContent-Length: 3"));
        assertThrows(IOException.class, () -> HttpBench.contentLength("HTTP/1.1 200 OK\r\nX: y"));
    }

    /** The bench's client and the bench server's policy against the real server. */
    @Test
    void downloadsThroughTheBenchPolicy() throws Exception {
        Path f = HttpBench.testFile(dir, 3 << 20);
        Files.createDirectories(dir.resolve("sub"));
        ExecutorService blocking = Executors.newFixedThreadPool(2);
        try (HttpBootServer server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DirectoryPolicy(dir), blocking, new SimpleMeterRegistry())) {
            server.start();
            int port = server.localAddress().getPort();
            assertEquals(3 << 20, HttpBench.download(port, "/" + f.getFileName()));
            IOException missing = assertThrows(IOException.class, () -> HttpBench.download(port, "/nope.bin"));
            assertTrue(missing.getMessage().contains("404"), missing.getMessage());
            assertThrows(IOException.class, () -> HttpBench.download(port, "/sub"));
        } finally {
            blocking.shutdownNow();
        }
    }

    @Test
    void rssAndCpuOfThisProcess() throws IOException {
        assertTrue(HttpBench.rssKiB(ProcessHandle.current().pid()) > 1024);
        assertTrue(HttpBench.cpuSeconds(ProcessHandle.current()) > 0);
    }
}
