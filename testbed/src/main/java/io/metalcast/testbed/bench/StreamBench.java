package io.metalcast.testbed.bench;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.pxe.http.HttpBootServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code metalcast bench stream}: the same disk image (a real ext4 filesystem, mostly empty) written to a fresh file by
 * curtin's pipelines ({@code curl | gunzip | dd bs=4M}, {@code curl | dd bs=4M}, each followed by {@code sync}) and by
 * metalcast's installer in a child JVM (then {@code sync} too), from one metalcast HTTP boot server on loopback, in the same
 * run, alternating which goes first. The image and its .gz (gzip's default level) and .zst (zstd's default level) are
 * built once and cached under {@code $METALCAST_CACHE} or {@code ~/.cache/metalcast}. Prints a table of medians and ends with
 * {@code ratio_gz=.. ratio_raw=.. ratio_zst_vs_curtin_gz=.. ratio_raw_bmap=..} (curtin time / our time, higher is better;
 * {@code ratio_raw_bmap}: the raw image written by its block map, against curtin's raw pipeline).
 */
public final class StreamBench {
    private static final long MIB = 1L << 20;
    private String bmapSha256 = "";

    private final Path cache;
    private final long size;
    private final int runs;
    private final Path work;

    StreamBench(Path cache, long size, int runs) {
        this.cache = cache;
        this.size = size;
        this.runs = runs;
        this.work = cache.resolve("work");
    }

    public static int run(List<String> args, Path cacheDir) throws Exception {
        long size = 4L << 30;
        int runs = 3;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = i + 1 < args.size() ? args.get(i + 1) : null;
            switch (a) {
                case "--size-mib" -> { size = Long.parseLong(v) * MIB; i++; }
                case "--runs" -> { runs = Integer.parseInt(v); i++; }
                default -> {
                    System.err.println("bench stream: unknown option '" + a + "' (expected: --size-mib N, --runs N)");
                    return 2;
                }
            }
        }
        if (runs < 1 || size < 256 * MIB) {
            System.err.println("bench stream: --runs >= 1 and --size-mib >= 256 expected");
            return 2;
        }
        return new StreamBench(cacheDir.resolve("stream-bench-" + (size / MIB) + "m"), size, runs).run();
    }

    private int run() throws Exception {
        Files.createDirectories(cache);
        Properties images = ensureImages();
        // the block map the engine would make at upload, beside the image (the server serves the cache directory)
        BlockMap map = BlockMap.scan(cache.resolve("disk.raw"), BlockMap.DEFAULT_BLOCK_SIZE);
        Files.write(cache.resolve("disk.raw.bmap"), map.render());
        bmapSha256 = Sha256.ofFile(cache.resolve("disk.raw.bmap"));
        System.out.printf(Locale.ROOT, "block map: %s of %s hold data, %d ranges%n", mib(map.mappedBytes()), mib(size), map.ranges().size());
        deleteTree(work);
        Files.createDirectories(work);
        ExecutorService blocking = Executors.newFixedThreadPool(2);
        HttpBootServer server = new HttpBootServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new DirectoryPolicy(cache),
                blocking, new SimpleMeterRegistry());
        try {
            server.start();
            String base = "http://127.0.0.1:" + server.localAddress().getPort() + "/";
            Map<String, List<Double>> times = new LinkedHashMap<>();
            for (String k : List.of("curtin raw", "ours raw", "ours bmap", "curtin gz", "ours gz", "ours zst")) {
                times.put(k, new ArrayList<>());
            }
            Path target = work.resolve("target.img");
            for (int i = 0; i < runs; i++) {
                boolean curtinFirst = i % 2 == 0;
                for (String fmt : List.of("raw", "bmap", "gz", "zst")) {
                    String file = "disk.raw" + (fmt.equals("raw") || fmt.equals("bmap") ? "" : "." + fmt);
                    String url = base + file;
                    List<String> order = new ArrayList<>(List.of("curtin", "ours"));
                    if (!curtinFirst) {
                        order = List.of("ours", "curtin");
                    }
                    for (String who : order) {
                        if (who.equals("curtin") && (fmt.equals("zst") || fmt.equals("bmap"))) {
                            continue; // curtin has no zstd dd type nor block maps: compared with curtin gz and raw
                        }
                        fresh(target);
                        double t = who.equals("curtin") ? curtin(fmt, url, target)
                                : ours(fmt, url, images.getProperty(file + ".sha256"), Long.parseLong(images.getProperty(file + ".size")), target);
                        times.get(who + " " + fmt).add(t);
                        System.out.printf(Locale.ROOT, "run %d %-10s %7.2f s%n", i + 1, who + " " + fmt, t);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%nimage %s raw, %s gz, %s zst; %d runs; medians:%n", mib(size),
                    mib(Long.parseLong(images.getProperty("disk.raw.gz.size"))), mib(Long.parseLong(images.getProperty("disk.raw.zst.size"))),
                    runs);
            System.out.printf(Locale.ROOT, "%-12s %10s %12s   %s%n", "pipeline", "median s", "image MiB/s", "all runs");
            Map<String, Double> med = new LinkedHashMap<>();
            for (var e : times.entrySet()) {
                double m = median(e.getValue());
                med.put(e.getKey(), m);
                System.out.printf(Locale.ROOT, "%-12s %10.2f %12.1f   %s%n", e.getKey(), m, size / (double) MIB / m, e.getValue());
            }
            System.out.printf(Locale.ROOT, "ratio_gz=%.2f ratio_raw=%.2f ratio_zst_vs_curtin_gz=%.2f ratio_raw_bmap=%.2f%n",
                    med.get("curtin gz") / med.get("ours gz"), med.get("curtin raw") / med.get("ours raw"),
                    med.get("curtin gz") / med.get("ours zst"), med.get("curtin raw") / med.get("ours bmap"));
            return 0;
        } finally {
            server.close();
            blocking.shutdownNow();
            deleteTree(work);
        }
    }

    /** curtin's pipeline as block_meta runs it for a dd image, then sync; seconds. */
    private double curtin(String fmt, String url, Path target) throws Exception {
        String pipe = "curl -sf '" + url + "' | " + (fmt.equals("gz") ? "gunzip -c | " : "") + "dd bs=4M of='" + target + "' status=none; sync";
        long start = System.nanoTime();
        exec(List.of("bash", "-c", pipe), null);
        double t = (System.nanoTime() - start) / 1e9;
        long got = Files.size(target);
        if (got != size) {
            throw new IOException("curtin " + fmt + ": wrote " + got + " bytes (expected: " + size + ")");
        }
        return t;
    }

    /** metalcast's installer in a child JVM with this JVM's classpath, then sync; seconds. */
    private double ours(String fmt, String url, String sha256, long length, Path target) throws Exception {
        String type = switch (fmt) {
            case "raw", "bmap" -> "dd-raw";
            case "gz" -> "dd-gz";
            default -> "dd-zst";
        };
        Source source = new Source(type, url, sha256, length);
        if (fmt.equals("bmap")) {
            source = source.withBlockMap(url + ".bmap", bmapSha256);
        }
        Path config = work.resolve("curtin-" + fmt + ".yaml");
        Files.writeString(config, CurtinYaml.render(new CurtinConfig(Map.of("image", source), Map.of(), Map.of(), "")));
        String java = ProcessHandle.current().info().command().orElse("java");
        // under surefire/failsafe java.class.path is only the booter jar; the real one is in this property
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        long start = System.nanoTime();
        String out = exec(List.of(java, "-cp", classpath, "io.metalcast.curtin.installer.Installer",
                "--config-url", config.toUri().toString(), "--target", target.toString(), "--mount-root", work.resolve("mnt").toString()), null);
        exec(List.of("sync"), null);
        double t = (System.nanoTime() - start) / 1e9;
        out.lines().filter(l -> l.contains("extract") && (l.contains("zero blocks") || l.contains("sha256"))).forEach(l -> System.out.println("    " + l));
        return t;
    }

    private void fresh(Path target) throws Exception {
        Files.deleteIfExists(target);
        exec(List.of("truncate", "-s", Long.toString(size), target.toString()), null);
    }

    /**
     * The bench's disk image of {@code size} bytes (a real ext4 filesystem, mostly empty) with its .gz and .zst, cached
     * in {@code cache}; sizes and sha256s by file name ({@code disk.raw.size}, {@code disk.raw.sha256}...).
     */
    static Properties images(Path cache, long size) throws Exception {
        Files.createDirectories(cache);
        return new StreamBench(cache, size, 1).ensureImages();
    }

    /** The raw image, .gz and .zst with their sizes and sha256s; built once, reused while the marker is there. */
    private Properties ensureImages() throws Exception {
        Path marker = cache.resolve("images.properties");
        Properties p = new Properties();
        if (Files.exists(marker)) {
            try (InputStream in = Files.newInputStream(marker)) {
                p.load(in);
            }
            System.out.println("images cached in " + cache);
            return p;
        }
        System.out.println("building a " + mib(size) + " disk image in " + cache + " (once)");
        Path root = cache.resolve("rootfs");
        deleteTree(root);
        fillRoot(root, Math.min(1.0, size / (double) (4L << 30)));
        Path raw = cache.resolve("disk.raw");
        Files.deleteIfExists(raw);
        exec(List.of("truncate", "-s", Long.toString(size), raw.toString()), null);
        exec(List.of("sfdisk", "--quiet", raw.toString()), "label: dos\nstart=2048, type=83\n");
        long partBytes = size - MIB;
        exec(List.of("mkfs.ext4", "-q", "-F", "-L", "cloudimg-rootfs", "-E", "offset=" + MIB, "-d", root.toString(), raw.toString(),
                (partBytes / 1024) + "k"), null);
        deleteTree(root);
        exec(List.of("bash", "-c", "gzip -c '" + raw + "' > '" + raw + ".gz'"), null);
        exec(List.of("bash", "-c", "zstd -q -T0 -c '" + raw + "' > '" + raw + ".zst'"), null);
        for (String f : List.of("disk.raw", "disk.raw.gz", "disk.raw.zst")) {
            Path file = cache.resolve(f);
            p.setProperty(f + ".size", Long.toString(Files.size(file)));
            p.setProperty(f + ".sha256", Sha256.ofFile(file));
        }
        try (OutputStream out = Files.newOutputStream(marker)) {
            p.store(out, "metalcast stream bench images");
        }
        return p;
    }

    /**
     * About 330 MiB times {@code scale} (1 for a 4 GiB image): incompressible data, log-like text, low-entropy binary, many
     * small files, and /curtin.
     */
    private static void fillRoot(Path root, double scale) throws IOException {
        int bigMib = Math.max(1, (int) Math.round(32 * scale));
        SplittableRandom r = new SplittableRandom(2024);
        Files.createDirectories(root.resolve("curtin"));
        Files.createDirectories(root.resolve("usr/lib/blobs"));
        Files.createDirectories(root.resolve("var/log"));
        Files.createDirectories(root.resolve("usr/share/small"));
        byte[] buf = new byte[(int) MIB];
        for (int f = 0; f < 4; f++) {
            try (OutputStream out = Files.newOutputStream(root.resolve("usr/lib/blobs/random" + f + ".bin"))) {
                for (int m = 0; m < bigMib; m++) {
                    r.nextBytes(buf);
                    out.write(buf);
                }
            }
        }
        for (int f = 0; f < 4; f++) {
            try (OutputStream out = Files.newOutputStream(root.resolve("var/log/syslog." + f))) {
                StringBuilder sb = new StringBuilder();
                for (int m = 0; m < bigMib * 1024; m++) {
                    sb.setLength(0);
                    for (int l = 0; l < 12; l++) {
                        sb.append("Nov 27 17:").append(10 + r.nextInt(50)).append(':').append(10 + r.nextInt(50)).append(" node kernel: [")
                                .append(r.nextInt(100000)).append("] eth0: link ").append(r.nextBoolean() ? "up" : "down").append('\n');
                    }
                    out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
        try (OutputStream out = Files.newOutputStream(root.resolve("usr/lib/blobs/lowentropy.bin"))) {
            for (int m = 0; m < 2 * bigMib; m++) {
                for (int i = 0; i < buf.length; i++) {
                    buf[i] = (byte) (r.nextInt(16) * (r.nextInt(4) == 0 ? 0 : 1));
                }
                out.write(buf);
            }
        }
        for (int f = 0; f < Math.max(10, (int) Math.round(2000 * scale)); f++) {
            byte[] small = new byte[4096 + r.nextInt(60 * 1024)];
            for (int i = 0; i < small.length; i++) {
                small[i] = (byte) ('a' + r.nextInt(8));
            }
            Files.write(root.resolve("usr/share/small/f" + f), small);
        }
    }

    private static String exec(List<String> cmd, String input) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        if (input != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": failed: " + out);
        }
        return out;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) MIB);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
