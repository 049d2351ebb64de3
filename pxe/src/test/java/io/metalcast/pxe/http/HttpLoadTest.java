package io.metalcast.pxe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.pxe.net.DirectoryPolicy;
import io.metalcast.pxe.net.Transports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many clients at once: byte-exact concurrent downloads, and H4 (slow headers, slow bodies, slow readers, caps). */
class HttpLoadTest {
    static final int SIZE = 32 * 1024 * 1024;
    /** The flood comes from this address; the well-behaved clients from {@link #GOOD}. */
    static final InetAddress FLOOD = InetAddress.getLoopbackAddress();
    static InetAddress GOOD;

    @TempDir
    static Path dir;
    static ExecutorService blocking;
    static DirectoryPolicy policy;
    static String sha256;

    @BeforeAll
    static void files() throws Exception {
        GOOD = InetAddress.getByName("127.0.0.2");
        byte[] chunk = new byte[1 << 20];
        Random random = new Random(11);
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(dir.resolve("large.bin"))) {
            for (int i = 0; i < SIZE / chunk.length; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
                d.update(chunk);
            }
        }
        sha256 = HexFormat.of().formatHex(d.digest());
        Files.writeString(dir.resolve("small.txt"), "hello boot\n");
        blocking = Executors.newFixedThreadPool(4);
        policy = new DirectoryPolicy(dir);
    }

    @AfterAll
    static void stop() {
        blocking.shutdownNow();
    }

    static HttpBootServer server(HttpLimits limits, SimpleMeterRegistry registry) throws IOException {
        HttpBootServer s = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), policy, blocking,
                registry, limits, Transports.detect());
        s.start();
        return s;
    }

    /** Downloads {@code path} over a fresh connection from {@code from}; returns the body's SHA-256 and length. */
    static String download(InetSocketAddress server, InetAddress from, String path) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(server, 5000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed in the head: " + head);
                }
                head.append((char) b);
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
                total += n;
            }
            return HexFormat.of().formatHex(d.digest()) + "/" + total;
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void sixtyFourClientsAtOnceGetByteExactCopies() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ExecutorService clients = Executors.newFixedThreadPool(64);
        try (HttpBootServer server = server(HttpLimits.defaults(), registry)) {
            List<Callable<String>> jobs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                jobs.add(() -> download(server.localAddress(), GOOD, "/large.bin"));
            }
            for (Future<String> f : clients.invokeAll(jobs, 2, TimeUnit.MINUTES)) {
                assertEquals(sha256 + "/" + SIZE, f.get());
            }
            await("64 transfers metered", Duration.ofSeconds(5),
                    () -> registry.get("http.transfer.rate").summary().count() == 64);
            assertEquals(64.0 * SIZE, registry.get("http.bytes").counter().count());
            assertTrue(registry.get("http.transfer.rate").summary().mean() > 0);
            await("connections closed", Duration.ofSeconds(5),
                    () -> registry.get("http.connections.active").gauge().value() == 0);
            assertEquals(64, registry.get("http.connection.bytes").summary().count());
            assertEquals(64.0 * SIZE, registry.get("http.connection.bytes").summary().totalAmount());
        } finally {
            clients.shutdownNow();
        }
    }

    /** Bytes are counted as they leave, not only when a body is complete. */
    @Test
    void bytesAreCountedWhileABodyIsStillGoing() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HttpBootServer server = server(HttpLimits.defaults(), registry); Socket s = new Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.connect(server.localAddress());
            s.getOutputStream().write("GET /large.bin HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readNBytes(SIZE / 4);
            await("progress counted", Duration.ofSeconds(5), () -> registry.get("http.bytes").counter().count() >= SIZE / 4.0);
            assertTrue(registry.get("http.bytes").counter().count() < SIZE, "counted the body before it was sent");
            assertEquals(0, registry.get("http.transfer.rate").summary().count());
        }
    }

    /** Open file descriptors of this JVM that point at {@code file}. */
    static long openDescriptors(Path file) throws IOException {
        String target = file.toRealPath().toString();
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(target)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    /** H4: a reader that stops reading is closed by the idle timeout, and its file is closed with it. */
    @Test
    void stalledReaderIsDroppedAndItsFileClosed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HttpLimits limits = HttpLimits.defaults().withTimeouts(Duration.ofMillis(800), Duration.ofSeconds(5));
        try (HttpBootServer server = server(limits, registry); Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(server.localAddress());
            s.getOutputStream().write("GET /large.bin HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Path file = dir.resolve("large.bin");
            await("file opened", Duration.ofSeconds(5), () -> uncheckedDescriptors(file) == 1);
            await("stalled reader closed", Duration.ofSeconds(10),
                    () -> registry.get("http.connections.active").gauge().value() == 0);
            assertEquals(0, openDescriptors(file));
            s.setSoTimeout(10_000);
            long got = drain(s.getInputStream());
            assertTrue(got < SIZE, "received " + got);
            assertEquals(0, registry.get("http.transfer.rate").summary().count());
        }
    }

    static long uncheckedDescriptors(Path file) {
        try {
            return openDescriptors(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static long drain(InputStream in) {
        long total = 0;
        byte[] buf = new byte[1 << 16];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
            }
        } catch (IOException reset) {
            // reset by the server: as good as EOF here
        }
        return total;
    }

    /** H4: a request body trickling in cannot keep a connection past the header timeout. */
    @Test
    void tricklingBodyIsCutOff() throws Exception {
        HttpLimits limits = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(30), Duration.ofMillis(600));
        try (HttpBootServer server = server(limits, new SimpleMeterRegistry()); Socket s = new Socket()) {
            s.connect(server.localAddress());
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("GET /small.txt HTTP/1.1\r\nHost: b\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder response = new StringBuilder();
            while (!response.toString().endsWith("hello boot\n")) {
                int c = in.read();
                assertTrue(c >= 0, "closed before the response: " + response);
                response.append((char) c);
            }
            assertTrue(response.toString().startsWith("HTTP/1.1 200 "), response.toString());
            s.setSoTimeout(100);
            long t0 = System.nanoTime();
            boolean cut = false;
            while (!cut && System.nanoTime() - t0 < 8_000_000_000L) {
                try {
                    out.write('x');
                    out.flush();
                    cut = in.read() < 0;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // keep trickling
                } catch (SocketException closed) {
                    cut = true;
                }
            }
            assertTrue(cut, "a trickling body kept the connection open for 8 s");
        }
    }

    /** Reads what is there; true when the stream then ends (the server closed). */
    static boolean endsWithEof(Socket s) {
        try {
            s.setSoTimeout(3000);
            byte[] buf = new byte[4096];
            while (true) {
                int n = s.getInputStream().read(buf);
                if (n < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** H4: connections over the per-address cap are closed at once and counted; other addresses are not affected. */
    @Test
    void perAddressCap() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HttpLimits limits = HttpLimits.defaults().withConnections(100, 5);
        try (HttpBootServer server = server(limits, registry)) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket s = new Socket(server.localAddress().getAddress(), server.localAddress().getPort());
                    held.add(s);
                }
                await("5 admitted", Duration.ofSeconds(5), () -> registry.get("http.connections.active").gauge().value() == 5);
                try (RawHttp sixth = new RawHttp(server.localAddress())) {
                    assertTrue(sixth.closedByServer());
                }
                assertEquals(1, registry.get("http.connections.refused").tag("reason", "per_ip").counter().count());
                assertEquals(sha256 + "/" + SIZE, download(server.localAddress(), GOOD, "/large.bin"));
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            await("released", Duration.ofSeconds(5), () -> registry.get("http.connections.active").gauge().value() == 0);
            try (RawHttp again = new RawHttp(server.localAddress())) {
                assertEquals(200, again.send("GET /small.txt HTTP/1.1\r\nHost: b\r\n\r\n").read(false).status());
            }
        }
    }

    /** How many descriptors this JVM may still open (the flood needs two per connection: client and server side). */
    static int spareDescriptors() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                long limit = soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                long open;
                try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                    open = fds.count();
                }
                return (int) Math.min(Integer.MAX_VALUE, limit - open);
            }
        }
        throw new IOException("/proc/self/limits: no Max open files");
    }

    /**
     * H4: thousands of connections sending their request heads byte by byte (slowloris) from one address: those over
     * the cap are refused at once, the rest are closed by the header timeout, and meanwhile a client from another
     * address downloads normally.
     */
    @Test
    void slowHeaderFloodDoesNotStopDownloads() throws Exception {
        int flood = Math.min(5000, (spareDescriptors() - 200) / 2);
        assertTrue(flood >= 500, "too few file descriptors for the flood: " + flood);
        int cap = flood / 2;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HttpLimits limits = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(3))
                .withConnections(cap + 100, cap);
        try (HttpBootServer server = server(limits, registry); Selector selector = Selector.open()) {
            List<SocketChannel> slow = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(
                    (int) registry.get("http.connections.active").gauge().value(), Math::max), 0, 5, TimeUnit.MILLISECONDS);
            try {
                for (int i = 0; i < flood; i++) {
                    SocketChannel ch = SocketChannel.open();
                    slow.add(ch);
                    ch.bind(new InetSocketAddress(FLOOD, 0));
                    ch.configureBlocking(false);
                    if (!ch.connect(server.localAddress())) {
                        ch.register(selector, SelectionKey.OP_CONNECT);
                    }
                }
                long connectDeadline = System.nanoTime() + 10_000_000_000L;
                while (!selector.keys().isEmpty() && System.nanoTime() < connectDeadline) {
                    selector.select(100);
                    for (SelectionKey k : selector.selectedKeys()) {
                        try {
                            ((SocketChannel) k.channel()).finishConnect();
                        } catch (IOException refused) {
                            // closed at once by the server, fine
                        }
                        k.cancel();
                    }
                    selector.selectedKeys().clear();
                    selector.selectNow();
                }
                selector.close(); // deregisters every channel, so they can be switched to blocking mode below
                ByteBuffer start = ByteBuffer.wrap("GET /small.txt HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                for (SocketChannel ch : slow) {
                    trySend(ch, start.duplicate());
                }
                // While the flood dribbles, a normal client from another address gets the whole file.
                long t0 = System.nanoTime();
                assertEquals(sha256 + "/" + SIZE, download(server.localAddress(), GOOD, "/large.bin"));
                assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "download took too long during the flood");
                for (SocketChannel ch : slow) {
                    trySend(ch, ByteBuffer.wrap(new byte[] {'a'}));
                }
                double refused = registry.get("http.connections.refused").tag("reason", "per_ip").counter().count();
                assertTrue(refused > 0, "none of " + flood + " refused with cap " + cap);
                // the flood's cap, plus the one download from the other address
                assertTrue(peak.get() <= cap + 1, "open connections peaked at " + peak.get() + " over the cap " + cap);
                assertTrue(peak.get() >= cap / 2, "the flood never got going: peak " + peak.get());
                await("slow headers timed out", Duration.ofSeconds(15),
                        () -> registry.get("http.connections.active").gauge().value() == 0);
                byte[] sink = new byte[1024];
                int closed = 0;
                for (SocketChannel ch : slow) {
                    ch.configureBlocking(true);
                    ch.socket().setSoTimeout(2000);
                    try {
                        while (ch.socket().getInputStream().read(sink) >= 0) {
                            // a 408-less close: the server sends nothing, or a partial answer we ignore
                        }
                        closed++;
                    } catch (SocketException reset) {
                        closed++;
                    }
                }
                assertEquals(flood, closed);
            } finally {
                sampler.shutdownNow();
                for (SocketChannel ch : slow) {
                    ch.close();
                }
            }
            try (RawHttp after = new RawHttp(server.localAddress())) {
                assertEquals(200, after.send("GET /small.txt HTTP/1.1\r\nHost: b\r\n\r\n").read(false).status());
            }
        }
    }

    private static void trySend(SocketChannel ch, ByteBuffer b) {
        try {
            ch.write(b);
        } catch (IOException | RuntimeException closedOrNeverConnected) {
            // refused connections are already closed
        }
    }
}
