package io.metalcast.engine.ephemeral.simplestreams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.metalcast.curtin.image.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A mirror in the images.maas.io format, written by the test: index.json and one products file. Every product's
 * versions are listed, but only files of the serials in {@code present} exist, so a 404 catches any wrong pick.
 */
final class MirrorFixture implements AutoCloseable {
    static final String PRODUCTS = "streams/v1/com.ubuntu.maas:stable:v3:download.json";
    static final Map<String, String> VERSIONS = Map.of("jammy", "22.04", "noble", "24.04");

    final Path root;
    final List<String[]> products = new ArrayList<>(); // {release, arch, kflavor}
    final List<String> serials = new ArrayList<>(List.of("20240101", "20250718"));
    final List<String> present = new ArrayList<>(List.of("20250718"));
    /** Content by path, instead of {@link #content}. */
    final Map<String, byte[]> override = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private HttpServer server;

    MirrorFixture(Path root) throws IOException {
        this.root = root;
        for (String rel : List.of("jammy", "noble")) {
            for (String arch : List.of("amd64", "arm64")) {
                products.add(new String[] {rel, arch, "generic"});
            }
        }
        products.add(new String[] {"jammy", "amd64", "lowlatency"});
        write();
    }

    static String subarch(String release) {
        return "ga-" + VERSIONS.get(release);
    }

    static String id(String release, String arch, String kflavor) {
        return "com.ubuntu.maas.stable:v3:boot:" + VERSIONS.get(release) + ":" + arch + ":" + subarch(release)
                + (kflavor.equals("generic") ? "" : "-" + kflavor);
    }

    static String path(String release, String arch, String serial, String kflavor, String ftype) {
        return ftype.equals("squashfs") ? release + "/" + arch + "/" + serial + "/squashfs"
                : release + "/" + arch + "/" + serial + "/" + subarch(release) + "/" + kflavor + "/" + ftype;
    }

    /** A few KiB that differ per file. */
    static byte[] content(String release, String arch, String serial, String kflavor, String ftype) {
        String seed = ftype + " " + release + " " + arch + " " + serial + " " + (ftype.equals("squashfs") ? "" : kflavor) + "\n";
        int size = 3000 + Math.floorMod(seed.hashCode(), 2000);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < size) {
            sb.append(seed);
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    /** (Re)writes index.json, the products file, and the files of the present serials. */
    void write() throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode pf = m.createObjectNode();
        pf.put("content_id", "com.ubuntu.maas:stable:v3:download").put("datatype", "image-ids").put("format", "products:1.0")
                .put("updated", "Fri, 18 Jul 2025 10:00:00 +0000").put("os", "ubuntu"); // os at the top level: inherited
        ObjectNode ps = pf.putObject("products");
        ArrayNode ids = m.createArrayNode();
        for (String[] p : products) {
            String rel = p[0], arch = p[1], kf = p[2];
            ids.add(id(rel, arch, kf));
            ObjectNode prod = ps.putObject(id(rel, arch, kf));
            prod.put("arch", arch).put("label", "stable").put("release", rel).put("release_codename", rel)
                    .put("version", VERSIONS.get(rel)).put("subarch", subarch(rel)).put("kflavor", kf).put("krel", rel)
                    .put("subarches", "generic,hwe-p,ga-" + VERSIONS.get(rel)).put("support_eol", "2032-05-31");
            ObjectNode versions = prod.putObject("versions");
            List<String> mine = new ArrayList<>(serials);
            if (!kf.equals("generic")) {
                mine.add("20250801"); // the flavoured kernel is newer than the generic one
            }
            for (String serial : mine) {
                ObjectNode items = versions.putObject(serial).putObject("items");
                for (String ftype : List.of("boot-kernel", "boot-initrd", "squashfs", "manifest")) {
                    String path = ftype.equals("manifest") ? rel + "/" + arch + "/" + serial + "/squashfs.manifest" : path(rel, arch, serial, kf, ftype);
                    byte[] data = ftype.equals("manifest") ? "manifest\n".getBytes(StandardCharsets.US_ASCII) : override.getOrDefault(path, content(rel, arch, serial, kf, ftype));
                    ObjectNode it = items.putObject(ftype);
                    it.put("ftype", ftype).put("path", path).put("sha256", Sha256.of(data)).put("size", data.length);
                    if (!ftype.equals("squashfs") && !ftype.equals("manifest")) {
                        it.put("kpackage", "linux-generic");
                    }
                    if (present.contains(serial) || serial.equals("20250801")) {
                        if (!ftype.equals("manifest")) {
                            Files.createDirectories(root.resolve(path).getParent());
                            Files.write(root.resolve(path), data);
                        }
                    }
                }
            }
        }
        ObjectNode idx = m.createObjectNode();
        idx.put("format", "index:1.0").put("updated", "Fri, 18 Jul 2025 10:00:00 +0000");
        ObjectNode entry = idx.putObject("index").putObject("com.ubuntu.maas:stable:v3:download");
        entry.put("datatype", "image-ids").put("format", "products:1.0").put("path", PRODUCTS).put("updated", "x").set("products", ids);
        Files.createDirectories(root.resolve("streams/v1"));
        Files.writeString(root.resolve(PRODUCTS), m.writerWithDefaultPrettyPrinter().writeValueAsString(pf));
        Files.writeString(root.resolve(MirrorLocation.INDEX), m.writerWithDefaultPrettyPrinter().writeValueAsString(idx));
    }

    /** Serves the mirror on loopback under {@code prefix} (e.g. {@code /ephemeral-v3/stable}); returns the prefix URL. */
    URI serve(String prefix) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(prefix + "/", ex -> {
            String rel = ex.getRequestURI().getPath().substring(prefix.length() + 1);
            requests.computeIfAbsent(rel, k -> new AtomicInteger()).incrementAndGet();
            Path f = root.resolve(rel).normalize();
            if (!f.startsWith(root) || !Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, Files.size(f));
            try (OutputStream out = ex.getResponseBody()) {
                Files.copy(f, out);
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + prefix);
    }

    int dataRequests() {
        return requests.entrySet().stream().filter(e -> !e.getKey().startsWith("streams/")).mapToInt(e -> e.getValue().get()).sum();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
