package io.metalcast.testbed.bench;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./metalcast bench http}: one large file served on loopback by metalcast's {@code HttpBootServer} (in a child
 * JVM) and by nginx (sendfile on, a child process with its own configuration), downloaded whole by 1 and by 32
 * concurrent clients, each measurement repeated and the median taken, the two servers alternating first. Prints a
 * table and, last, {@code ratio_1=<metalcast/nginx> ratio_32=<metalcast/nginx>}.
 *
 * <p>Options: {@code --size-mib N} (2048), {@code --runs N} (3), {@code --clients 1,32}, {@code --cache DIR}
 * (default {@code $METALCAST_CACHE} or {@code ~/.cache/metalcast}), {@code --client java|curl} (java).
 */
public final class HttpBench {
    static final String FILE_PREFIX = "http-bench-";

    private HttpBench() {
    }

    /** What to run. */
    record Options(long sizeMiB, int runs, List<Integer> clients, Path cache, String client) {
        Options {
            if (sizeMiB < 1 || sizeMiB > 1 << 20) {
                throw new IllegalArgumentException("size-mib: " + sizeMiB + " (expected: 1..1048576)");
            }
            if (runs < 1 || runs > 100) {
                throw new IllegalArgumentException("runs: " + runs + " (expected: 1..100)");
            }
            if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 1024)) {
                throw new IllegalArgumentException("clients: " + clients + " (expected: 1..1024 each, at least one)");
            }
            if (!client.equals("java") && !client.equals("curl")) {
                throw new IllegalArgumentException("client: " + client + " (expected: java or curl)");
            }
            clients = List.copyOf(clients);
        }

        long sizeBytes() {
            return sizeMiB << 20;
        }
    }

    /**
     * One measured download round, all clients of it together: aggregate MB/s, and the CPU seconds the server's
     * processes used per GB sent (less sensitive to a busy machine than the rate).
     */
    record Sample(String server, int clients, double mbPerSecond, double cpuSecondsPerGB) {
    }

    /**
     * Parses options; {@code defaultCache} is the lab's cache directory, used unless {@code --cache} names another.
     */
    static Options parse(List<String> args, Path defaultCache) {
        long size = 2048;
        int runs = 3;
        List<Integer> clients = List.of(1, 32);
        String client = "java";
        Path cache = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(a + ": value missing (expected: --size-mib N, --runs N, --clients 1,32, "
                        + "--cache DIR, --client java|curl)");
            }
            String v = args.get(++i);
            switch (a) {
                case "--size-mib" -> size = number(a, v);
                case "--runs" -> runs = (int) number(a, v);
                case "--clients" -> clients = Arrays.stream(v.split(",")).map(s -> (int) number(a, s.trim())).toList();
                case "--cache" -> cache = Path.of(v);
                case "--client" -> client = v;
                default -> throw new IllegalArgumentException("option: " + a
                        + " (expected: --size-mib, --runs, --clients, --cache, --client)");
            }
        }
        if (cache == null) {
            cache = defaultCache;
        }
        return new Options(size, runs, clients, cache, client);
    }

    private static long number(String option, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' (expected: a number)");
        }
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("values: empty (expected: at least one)");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The last line: {@code ratio_<clients>=<ours/nginx>} for each client count, two decimals. */
    static String ratioLine(List<Integer> clients, Map<String, Double> medians) {
        StringBuilder sb = new StringBuilder();
        for (int c : clients) {
            double ours = medians.get(key("metalcast", c));
            double theirs = medians.get(key("nginx", c));
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append("ratio_").append(c).append('=').append(String.format(Locale.ROOT, "%.2f", ours / theirs));
        }
        return sb.toString();
    }

    static String key(String server, int clients) {
        return server + "/" + clients;
    }

    /**
     * The results table: one row per server and client count, median rate and every run, median server CPU per GB,
     * memory for metalcast.
     */
    static String table(List<Integer> clients, List<Sample> samples, long rssBeforeKiB, long rssAfterKiB) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %7s %12s  %-32s %12s  %s%n", "server", "clients", "MB/s median", "runs (MB/s)",
                "CPU s/GB", "RSS before -> after (MiB)"));
        for (int c : clients) {
            for (String server : List.of("metalcast", "nginx")) {
                List<Double> runs = samples.stream().filter(s -> s.server.equals(server) && s.clients == c)
                        .map(Sample::mbPerSecond).toList();
                double cpu = median(samples.stream().filter(s -> s.server.equals(server) && s.clients == c)
                        .map(Sample::cpuSecondsPerGB).toList());
                String each = String.join(" ", runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList());
                String rss = server.equals("metalcast") ? String.format(Locale.ROOT, "%.1f -> %.1f (growth %.1f)",
                        rssBeforeKiB / 1024.0, rssAfterKiB / 1024.0, (rssAfterKiB - rssBeforeKiB) / 1024.0) : "-";
                sb.append(String.format(Locale.ROOT, "%-10s %7d %12.0f  %-32s %12.3f  %s%n", server, c, median(runs), each, cpu, rss));
            }
        }
        return sb.toString();
    }

    public static int run(List<String> args, Path defaultCache) throws Exception {
        Options options;
        try {
            options = parse(args, defaultCache);
        } catch (IllegalArgumentException e) {
            System.err.println("bench http: " + e.getMessage());
            return 2;
        }
        Path file = testFile(options.cache(), options.sizeBytes());
        Path tmp = Files.createTempDirectory("metalcast-bench-http-");
        List<Process> children = new ArrayList<>();
        Thread hook = new Thread(() -> children.forEach(HttpBench::stop));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Process nginx = startNginx(tmp, file.getParent());
            children.add(nginx);
            int nginxPort = Integer.parseInt(Files.readString(tmp.resolve("port")).trim());
            awaitListening(nginxPort, nginx);
            Process ours = startMetalcast(file.getParent());
            children.add(ours);
            int oursPort = readPort(ours);
            awaitListening(oursPort, ours);
            String path = "/" + file.getFileName();
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put("metalcast", oursPort);
            ports.put("nginx", nginxPort);
            Map<String, ProcessHandle> pids = Map.of("metalcast", ours.toHandle(), "nginx", nginx.toHandle());
            long rssBefore = rssKiB(ours.pid());
            System.out.printf(Locale.ROOT, "bench http: %s (%d MiB), client %s, %d runs, metalcast pid %d on :%d, nginx pid %d on :%d%n",
                    file, options.sizeMiB(), options.client(), options.runs(), ours.pid(), oursPort, nginx.pid(), nginxPort);
            for (String server : ports.keySet()) {
                measure(options, ports.get(server), path, 1); // warm-up: page cache, JIT, connections
            }
            List<Sample> samples = new ArrayList<>();
            for (int run = 0; run < options.runs(); run++) {
                for (int c : options.clients()) {
                    List<String> order = new ArrayList<>(ports.keySet());
                    if ((run + options.clients().indexOf(c)) % 2 == 1) {
                        Collections.reverse(order);
                    }
                    for (String server : order) {
                        double cpu0 = cpuSeconds(pids.get(server));
                        double client0 = cpuSeconds(ProcessHandle.current());
                        double mbs = measure(options, ports.get(server), path, c);
                        double gb = c * options.sizeBytes() / 1e9;
                        double cpuPerGB = (cpuSeconds(pids.get(server)) - cpu0) / gb;
                        double clientPerGB = (cpuSeconds(ProcessHandle.current()) - client0) / gb;
                        samples.add(new Sample(server, c, mbs, cpuPerGB));
                        System.out.printf(Locale.ROOT, "  run %d: %-9s %3d clients %8.0f MB/s  CPU s/GB server %.3f client %.3f"
                                + "  (load %s)%n", run + 1, server, c, mbs, cpuPerGB, clientPerGB, loadAverage());
                    }
                }
            }
            long rssAfter = rssKiB(ours.pid());
            Map<String, Double> medians = new LinkedHashMap<>();
            for (int c : options.clients()) {
                for (String server : ports.keySet()) {
                    medians.put(key(server, c), median(samples.stream()
                            .filter(s -> s.server.equals(server) && s.clients == c).map(Sample::mbPerSecond).toList()));
                }
            }
            ours.getOutputStream().close(); // the server prints its meters and exits
            ours.waitFor(10, TimeUnit.SECONDS);
            System.out.print(table(options.clients(), samples, rssBefore, rssAfter));
            System.out.println(ratioLine(options.clients(), medians));
            return 0;
        } finally {
            for (Process p : children) {
                stop(p);
            }
            Runtime.getRuntime().removeShutdownHook(hook);
            deleteTree(tmp);
        }
    }

    /**
     * The cached test file of exactly {@code size} bytes of pseudo-random data (incompressible, not sparse), written
     * once and reused.
     */
    static Path testFile(Path cache, long size) throws IOException {
        Files.createDirectories(cache);
        Path file = cache.resolve(FILE_PREFIX + (size >> 20) + "MiB.bin");
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        System.out.printf(Locale.ROOT, "bench http: writing %s (%d MiB, once)%n", file, size >> 20);
        Path partial = cache.resolve(file.getFileName() + ".partial");
        SplittableRandom random = new SplittableRandom(0x6d6574616cL);
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long written = 0; written < size; ) {
                chunk.clear();
                while (chunk.remaining() >= 8) {
                    chunk.putLong(random.nextLong());
                }
                chunk.flip();
                chunk.limit((int) Math.min(chunk.limit(), size - written));
                while (chunk.hasRemaining()) {
                    written += out.write(chunk);
                }
            }
            out.force(false);
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /** Starts nginx from the system package (installing it when missing) with its own configuration under {@code tmp}. */
    private static Process startNginx(Path tmp, Path root) throws IOException, InterruptedException {
        Path nginx = Stream.of("/usr/sbin/nginx", "/usr/bin/nginx").map(Path::of).filter(Files::isExecutable).findFirst()
                .orElse(null);
        if (nginx == null) {
            System.out.println("bench http: installing nginx (apt-get)");
            Process apt = new ProcessBuilder("apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600", "nginx")
                    .inheritIO().start();
            if (apt.waitFor() != 0) {
                throw new IOException("apt-get install nginx: exit " + apt.exitValue());
            }
            nginx = Path.of("/usr/sbin/nginx");
        }
        int port = freePort();
        Files.writeString(tmp.resolve("port"), Integer.toString(port));
        Files.createDirectories(tmp.resolve("logs"));
        Path conf = tmp.resolve("nginx.conf");
        Files.writeString(conf, nginxConf(tmp, root, port, "root".equals(System.getProperty("user.name"))));
        return new ProcessBuilder(nginx.toString(), "-p", tmp.toString(), "-e", tmp.resolve("logs/error.log").toString(),
                "-c", conf.toString(), "-g", "daemon off;")
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static String nginxConf(Path tmp, Path root, int port, boolean asRoot) {
        return (asRoot ? "user root;\n" : "") + """
                worker_processes auto;
                pid %1$s/nginx.pid;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    sendfile on;
                    tcp_nopush on;
                    default_type application/octet-stream;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %3$s;
                        location / { }
                    }
                }
                """.formatted(tmp, port, root);
    }

    /** metalcast in its own JVM: the same java, the testbed class path. */
    private static Process startMetalcast(Path root) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(List.of("-Xms32m", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), BenchHttpServer.class.getName(), root.toString()));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static int readPort(Process p) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        if (line == null || !line.startsWith("port=")) {
            throw new IOException("metalcast bench server: '" + line + "' (expected: port=<n>)");
        }
        Thread pump = new Thread(() -> out.lines().forEach(l -> System.out.println("  metalcast " + l)), "bench-server-out");
        pump.setDaemon(true);
        pump.start();
        return Integer.parseInt(line.substring(5));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("server pid " + p.pid() + " not listening on 127.0.0.1:" + port, e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** CPU time (user and system) of a process and its descendants, in seconds. */
    static double cpuSeconds(ProcessHandle p) {
        return Stream.concat(Stream.of(p), p.descendants())
                .mapToDouble(h -> h.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0)).sum();
    }

    private static String loadAverage() {
        try {
            return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split(" "), 3));
        } catch (IOException e) {
            return "?";
        }
    }

    /** Resident memory of a process in KiB, from /proc/PID/status. */
    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("/proc/" + pid + "/status: no VmRSS");
    }

    /** {@code clients} concurrent whole-file downloads; aggregate MB/s (10^6 bytes) from the first start to the last end. */
    private static double measure(Options options, int port, String path, int clients) throws Exception {
        long size = options.sizeBytes();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch ready = new CountDownLatch(clients);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> done = new ArrayList<>();
            long[] ends = new long[clients];
            for (int i = 0; i < clients; i++) {
                int n = i;
                done.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    long got = options.client().equals("curl") ? curl(port, path) : download(port, path);
                    ends[n] = System.nanoTime();
                    return got;
                }));
            }
            ready.await();
            long t0 = System.nanoTime();
            go.countDown();
            long total = 0;
            for (Future<Long> f : done) {
                long got = f.get(30, TimeUnit.MINUTES);
                if (got != size) {
                    throw new IOException("download of " + path + " from :" + port + ": " + got + " bytes (expected: " + size + ")");
                }
                total += got;
            }
            if (clients > 1) {
                long[] sorted = Arrays.stream(ends).map(e -> e - t0).sorted().toArray();
                System.out.printf(Locale.ROOT, "    finished after %.2f s (first), %.2f s (median), %.2f s (last)%n",
                        sorted[0] / 1e9, sorted[clients / 2] / 1e9, sorted[clients - 1] / 1e9);
            }
            return total / ((System.nanoTime() - t0) / 1e9) / 1e6;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One GET over a plain socket, reading into a 1 MiB direct buffer; returns the body bytes received. */
    static long download(int port, String path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            long body = -1;
            long length = -1;
            while (true) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (body < 0) {
                    buf.flip();
                    byte[] bytes = new byte[buf.remaining()];
                    buf.get(bytes);
                    head.write(bytes);
                    byte[] all = head.toByteArray();
                    int end = headEnd(all);
                    if (end < 0) {
                        if (all.length > 65536) {
                            throw new IOException("response head over 64 KiB");
                        }
                        continue;
                    }
                    length = contentLength(new String(all, 0, end, StandardCharsets.ISO_8859_1));
                    body = all.length - end;
                } else {
                    body += n;
                }
                if (length >= 0 && body >= length) {
                    break;
                }
            }
            return Math.max(body, 0);
        }
    }

    private static int headEnd(byte[] b) {
        for (int i = 3; i < b.length; i++) {
            if (b[i - 3] == '\r' && b[i - 2] == '\n' && b[i - 1] == '\r' && b[i] == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    static long contentLength(String head) throws IOException {
        String[] lines = head.split("\r\n");
        if (!lines[0].startsWith("HTTP/1.1 200 ")) {
            throw new IOException("response: '" + lines[0] + "' (expected: HTTP/1.1 200)");
        }
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Long.parseLong(l.substring(colon + 1).trim());
            }
        }
        throw new IOException("response without Content-Length");
    }

    /** One download by a curl process to /dev/null; returns the bytes curl reports. */
    private static long curl(int port, String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
                "http://127.0.0.1:" + port + path).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor() != 0) {
                throw new IOException("curl: exit " + p.exitValue() + ": " + out);
            }
            return Long.parseLong(out.split(" ")[0]);
        } finally {
            stop(p);
        }
    }

    /** Stops a child and its descendants (by PID): TERM, then KILL after 5 s. */
    static void stop(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        for (ProcessHandle h : tree) {
            h.destroy();
        }
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
