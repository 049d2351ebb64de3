package io.metalcast.pxe.tftp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.pxe.net.DirectoryPolicy;
import io.metalcast.pxe.net.Transports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TftpServerTest {
    @TempDir
    static Path dir;
    static Path root;
    static ExecutorService blocking;
    static SimpleMeterRegistry registry;
    static DirectoryPolicy policy;
    static TftpServer server;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        Random random = new Random(42);
        write("small.bin", 100, random);
        write("exact.bin", 1024, random);
        write("multi.bin", 200_000, random);
        write("wrap.bin", 8 * 65_536 + 1000, random);
        Files.createDirectories(root.resolve("pxelinux.cfg"));
        write("pxelinux.cfg/default", 300, random);
        Files.write(dir.resolve("secret"), new byte[] {1, 2, 3});
        Files.createSymbolicLink(root.resolve("escape.bin"), dir.resolve("secret"));
        AtomicInteger n = new AtomicInteger();
        blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "blocking-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        registry = new SimpleMeterRegistry();
        policy = new DirectoryPolicy(root);
        server = new TftpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), policy, blocking, registry);
        server.start();
    }

    private static void write(String name, int size, Random random) throws IOException {
        byte[] b = new byte[size];
        random.nextBytes(b);
        Files.write(root.resolve(name), b);
    }

    @AfterAll
    static void stop() {
        server.close();
        blocking.shutdownNow();
    }

    @AfterEach
    void sessionsEnd() throws InterruptedException {
        // Tests that leave a transfer hanging end it themselves; everything else must finish promptly.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.activeSessions() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.activeSessions());
    }

    static byte[] content(String name) throws IOException {
        return Files.readAllBytes(root.resolve(name));
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    RawTftp client() throws IOException {
        return new RawTftp(server.localAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"small.bin", "exact.bin", "multi.bin", "/pxelinux.cfg/default", "pxelinux.cfg\\default"})
    void commonsNetClientDownloads(String name) throws Exception {
        TFTPClient tftp = new TFTPClient();
        tftp.setDefaultTimeout(Duration.ofSeconds(5));
        tftp.open();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            tftp.receiveFile(name, TFTP.BINARY_MODE, out, InetAddress.getLoopbackAddress(), server.localAddress().getPort());
            String file = name.replace('\\', '/').replaceFirst("^/", "");
            assertEquals(sha256(content(file)), sha256(out.toByteArray()));
        } finally {
            tftp.close();
        }
    }

    @Test
    void generatedContent() throws Exception {
        try (RawTftp c = client()) {
            RawTftp.Download d = c.get(DirectoryPolicy.GENERATED, "tsize", "0");
            assertArrayEquals(DirectoryPolicy.GENERATED_BYTES, d.content());
            assertEquals(String.valueOf(DirectoryPolicy.GENERATED_BYTES.length), d.oack().get("tsize"));
        }
    }

    @ParameterizedTest(name = "blksize {0}")
    @ValueSource(ints = {1428, 8, 512, 65464})
    void negotiatesBlksizeAndTsize(int blksize) throws Exception {
        byte[] expected = content("multi.bin");
        try (RawTftp c = client()) {
            RawTftp.Download d = c.get("multi.bin", "blksize", String.valueOf(blksize), "tsize", "0");
            assertEquals(String.valueOf(blksize), d.oack().get("blksize"));
            assertEquals(String.valueOf(expected.length), d.oack().get("tsize"));
            assertEquals(expected.length / blksize + 1, d.dataPackets());
            assertEquals(sha256(expected), sha256(d.content()));
        }
    }

    @Test
    void clampsHugeBlksizeAndIgnoresUnknownOptions() throws Exception {
        try (RawTftp c = client()) {
            RawTftp.Download d = c.get("small.bin", "blksize", "99999999999999999999", "windowsize", "8", "timeout", "0");
            assertEquals(java.util.Map.of("blksize", "65464"), d.oack());
            assertArrayEquals(content("small.bin"), d.content());
        }
    }

    @Test
    void withoutAcceptedOptionsSendsData1Directly() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("small.bin", "windowsize", "4", "blksize", "2"), server.localAddress());
            RawTftp.Packet p = c.receive(3000);
            assertNotNull(p);
            assertEquals(TftpPackets.DATA, p.opcode());
            assertEquals(1, p.block());
            assertNotEquals(server.localAddress().getPort(), p.from().getPort()); // its own TID
            c.send(RawTftp.ack(1), p.from());
        }
    }

    @Test
    void realTftpHpaClient() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tftp")), "tftp-hpa client not installed");
        Path out = dir.resolve("hpa-out.bin");
        Process p = new ProcessBuilder("/usr/bin/tftp", "-m", "binary", "127.0.0.1",
                String.valueOf(server.localAddress().getPort()), "-c", "get", "multi.bin", out.toString())
                .redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "tftp client did not finish");
            String output = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.exitValue(), output);
            assertEquals(sha256(content("multi.bin")), sha256(Files.readAllBytes(out)));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void notFoundIsError1() throws Exception {
        try (RawTftp c = client()) {
            IOException e = assertThrows(IOException.class, () -> c.get("missing.bin"));
            assertTrue(e.getMessage().startsWith("ERROR 1"), e.getMessage());
        }
    }

    /** T1, T8, write requests: each answered with an ERROR of the given code, then a normal transfer still works. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "empty name, 0001006F6374657400, 4",
            "no NUL, 0001616263, 4",
            "no mode, 000173 6D616C6C2E62696E00, 4",
            "traversal ../etc/passwd, 00012E2E2F6574632F70617373776400 6F6374657400, 2",
            "traversal ..\\x, 00012E2E5C7800 6F6374657400, 2",
            "absolute /../secret, 00012F2E2E2F73656372657400 6F6374657400, 2",
            "percent %2e%2e/secret, 0001 2532652532652F73656372657400 6F6374657400, 2",
            "NUL in the name, 0001 736D616C6C00 2E62696E00 6F6374657400, 4",
            "write request, 0002 736D616C6C2E62696E00 6F6374657400, 2",
            "symlink out of the root, 0001 6573636170652E62696E00 6F6374657400, 2",
    })
    void refusesBadRequestsAndKeepsServing(String name, String hex, int code) throws Exception {
        byte[] packet = HexFormat.of().parseHex(hex.replace(" ", ""));
        try (RawTftp c = client()) {
            c.send(packet, server.localAddress());
            RawTftp.Packet p = c.receive(3000);
            assertNotNull(p, "no answer");
            assertEquals(TftpPackets.ERROR, p.opcode());
            assertEquals(code, p.block());
            assertArrayEquals(content("small.bin"), c.get("small.bin").content());
        }
        assertTrue(policy.threads.stream().allMatch(t -> t.startsWith("blocking-")),
                "policy called off the blocking executor: " + policy.threads);
    }

    @Test
    void oversizedRequestsAreRefused() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("a".repeat(600)), server.localAddress());
            RawTftp.Packet p = c.receive(3000);
            assertEquals(TftpPackets.ERROR, p.opcode());
            assertEquals(4, p.block());
            c.send(RawTftp.rrq("a".repeat(64_000)), server.localAddress());
            assertEquals(4, c.receive(3000).block());
            assertArrayEquals(content("small.bin"), c.get("small.bin").content());
        }
    }

    /** T3: an ERROR from the client, however short or long, ends the transfer quietly. */
    @ParameterizedTest(name = "{0} bytes of message")
    @ValueSource(ints = {-2, -1, 0, 2048})
    void clientErrorEndsTransfer(int messageLength) throws Exception {
        byte[] error;
        if (messageLength < 0) {
            error = messageLength == -2 ? new byte[] {0, 5} : new byte[] {0, 5, 0};
        } else {
            error = new byte[5 + messageLength];
            error[1] = 5;
            java.util.Arrays.fill(error, 4, 4 + messageLength, (byte) 'x');
        }
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("multi.bin"), server.localAddress());
            RawTftp.Packet data1 = c.receive(3000);
            assertEquals(1, data1.block());
            c.send(error, data1.from());
            assertNull(c.receive(1500), "the server kept sending after the client's ERROR");
            assertEquals(0, server.activeSessions());
        }
    }

    /** Packets shorter than an opcode are not ERRORs: the transfer goes on. */
    @Test
    void runtPacketsAreIgnored() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("multi.bin"), server.localAddress());
            RawTftp.Packet data1 = c.receive(3000);
            c.send(new byte[0], data1.from());
            c.send(new byte[] {0}, data1.from());
            c.send(RawTftp.ack(1), data1.from());
            RawTftp.Packet data2 = c.receive(3000);
            assertEquals(2, data2.block());
            c.send(new byte[] {0, 5, 0, 0, 0}, data2.from());
        }
    }

    /** T4: a duplicate ACK does not make the server send the next block twice. */
    @Test
    void duplicateAckDoesNotResend() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("multi.bin"), server.localAddress());
            RawTftp.Packet data1 = c.receive(3000);
            c.send(RawTftp.ack(1), data1.from());
            c.send(RawTftp.ack(1), data1.from());
            c.send(RawTftp.ack(1), data1.from());
            RawTftp.Packet data2 = c.receive(3000);
            assertEquals(2, data2.block());
            assertNull(c.receive(600), "duplicate ACK caused a resend");
            c.send(RawTftp.ack(2), data1.from());
            assertEquals(3, c.receive(3000).block());
            c.send(new byte[] {0, 5, 0, 0, 0}, data1.from());
        }
    }

    /** Only a timeout resends: the same block, after about the negotiated timeout. */
    @Test
    void resendsOnTimeout() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("multi.bin", "timeout", "1"), server.localAddress());
            RawTftp.Packet oack = c.receive(3000);
            assertEquals(TftpPackets.OACK, oack.opcode());
            c.send(RawTftp.ack(0), oack.from());
            assertEquals(1, c.receive(3000).block());
            long t0 = System.nanoTime();
            RawTftp.Packet again = c.receive(3000);
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(TftpPackets.DATA, again.opcode());
            assertEquals(1, again.block());
            assertTrue(waited >= 800, "resent after " + waited + " ms");
            c.send(new byte[] {0, 5, 0, 0, 0}, oack.from());
        }
    }

    /** T5: more than 65,536 blocks; block numbers wrap and the content is intact. */
    @Test
    void blockNumbersWrap() throws Exception {
        byte[] expected = content("wrap.bin");
        try (RawTftp c = client()) {
            RawTftp.Download d = c.get("wrap.bin", "blksize", "8");
            assertTrue(d.dataPackets() > 65_536);
            assertEquals(sha256(expected), sha256(d.content()));
        }
    }

    /** T6: a packet from another port gets ERROR 5; the real transfer completes. */
    @Test
    void strangerGetsUnknownTransferIdAndTransferContinues() throws Exception {
        try (RawTftp c = client(); RawTftp stranger = client()) {
            c.send(RawTftp.rrq("multi.bin", "blksize", "1428"), server.localAddress());
            RawTftp.Packet oack = c.receive(3000);
            stranger.send(RawTftp.ack(0), oack.from());
            RawTftp.Packet err = stranger.receive(3000);
            assertEquals(TftpPackets.ERROR, err.opcode());
            assertEquals(5, err.block());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            c.send(RawTftp.ack(0), oack.from());
            for (int block = 1; ; block++) {
                RawTftp.Packet p = c.receive(3000);
                assertEquals(block, p.block());
                out.write(p.bytes(), 4, p.payload());
                c.send(RawTftp.ack(block), p.from());
                if (p.payload() < 1428) {
                    break;
                }
            }
            assertArrayEquals(content("multi.bin"), out.toByteArray());
        }
    }

    /** T7: a repeated read request from the same client port does not start a second transfer. */
    @Test
    void duplicateRequestStartsOneTransfer() throws Exception {
        try (RawTftp c = client()) {
            c.send(RawTftp.rrq("multi.bin"), server.localAddress());
            c.send(RawTftp.rrq("multi.bin"), server.localAddress());
            RawTftp.Packet first = c.receive(3000);
            assertEquals(1, first.block());
            assertNull(c.receive(500), "a second transfer answered");
            assertEquals(1, server.activeSessions());
            c.send(new byte[] {0, 5, 0, 0, 0}, first.from());
        }
    }

    @Test
    void sessionsAreBounded() throws Exception {
        SimpleMeterRegistry reg = new SimpleMeterRegistry();
        try (TftpServer small = new TftpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), policy, blocking,
                reg, TftpConfig.defaults().withMaxSessions(2).withRetries(0), Transports.nio());
             RawTftp a = new RawTftp(null); RawTftp b = new RawTftp(null); RawTftp third = new RawTftp(null)) {
            small.start();
            a.send(RawTftp.rrq("multi.bin"), small.localAddress());
            b.send(RawTftp.rrq("multi.bin"), small.localAddress());
            assertEquals(1, a.receive(3000).block());
            assertEquals(1, b.receive(3000).block());
            third.send(RawTftp.rrq("small.bin"), small.localAddress());
            RawTftp.Packet busy = third.receive(3000);
            assertEquals(TftpPackets.ERROR, busy.opcode());
            assertEquals(0, busy.block());
            assertEquals(1.0, reg.counter("tftp.requests", "result", "busy").count());
            assertEquals(2.0, reg.get("tftp.sessions.active").gauge().value());
        }
    }

    @Test
    void startFailsClearlyWhenPortIsTaken() throws Exception {
        try (TftpServer clash = new TftpServer(server.localAddress(), policy, blocking, new SimpleMeterRegistry())) {
            IOException e = assertThrows(IOException.class, clash::start);
            assertTrue(e.getMessage().startsWith("tftp: cannot bind"), e.getMessage());
        }
    }

    @Test
    void countsRequestsAndBytes() throws Exception {
        double before = registry.counter("tftp.requests", "result", "ok").count();
        double bytesBefore = registry.get("tftp.bytes").counter().count();
        try (RawTftp c = client()) {
            c.get("exact.bin");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (registry.counter("tftp.requests", "result", "ok").count() == before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before + 1, registry.counter("tftp.requests", "result", "ok").count());
        assertEquals(bytesBefore + 1024, registry.get("tftp.bytes").counter().count());
    }
}
