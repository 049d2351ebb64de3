package io.metalcast.engine.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.auth.ApiKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * MAAS API 2.0 calls signed as the maas CLI signs them (OAuth 1.0 PLAINTEXT, a fresh nonce and timestamp per request),
 * including the CLI's chunked {@code boot-resources create}: the form with sha256 and size, then the content in 4 MiB
 * PUTs appended in order. Unlike the CLI, a create whose upload was cut off resumes where the server stopped.
 */
public final class MaasApi {
    /** The maas CLI's chunk size. */
    public static final int CHUNK = 4 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer with an unexpected status. */
    public static final class ApiException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        ApiException(String call, int status, String body) {
            super(call + ": HTTP " + status + (body.isBlank() ? "" : ": " + body.strip()));
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** Told how far an upload is; called from the uploading thread. */
    @FunctionalInterface
    public interface Progress {
        void update(long sent, long total);
    }

    private final URI base;
    private final ApiKey key;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final SecureRandom random = new SecureRandom();

    /**
     * @param url the server, as given to {@code maas login}: {@code http://host:5240/MAAS/} (anything from
     *            {@code /MAAS} on is ignored)
     */
    public MaasApi(String url, ApiKey key, Clock clock) {
        this.base = root(url);
        this.key = Objects.requireNonNull(key, "key");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** {@code scheme://host:port/} of a URL given to login. */
    static URI root(String url) {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("url: '" + url + "' (expected: http://host:5240/MAAS/)");
        }
        if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null) {
            throw new IllegalArgumentException("url: '" + url + "' (expected: http://host:5240/MAAS/)");
        }
        return URI.create(u.getScheme() + "://" + u.getRawAuthority() + "/");
    }

    public URI api() {
        return base.resolve("MAAS/api/2.0/");
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return json(send("GET " + path, request(path).GET(), 200));
    }

    public void delete(String path) throws IOException, InterruptedException {
        send("DELETE " + path, request(path).DELETE(), 204);
    }

    /** A POST with the fields as the maas CLI sends them: multipart/form-data, every part base64-encoded. */
    public JsonNode post(String path, Map<String, String> fields, int expected) throws IOException, InterruptedException {
        String boundary = "===============" + Math.abs(random.nextLong()) + "==";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : new TreeMap<>(fields).entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: form-data; name=\""
                    + f.getKey() + "\"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\r\n"
                    + Base64.getMimeEncoder().encodeToString(f.getValue().getBytes(StandardCharsets.UTF_8)) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes(("--" + boundary + "--").getBytes(StandardCharsets.US_ASCII));
        HttpRequest.Builder req = request(path).header("Content-Type", "multipart/form-data; boundary=\"" + boundary + "\"")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        return json(send("POST " + path, req, expected));
    }

    /** One chunk of a chunked upload; the server must answer exactly 200. */
    public void put(String path, byte[] chunk, int length) throws IOException, InterruptedException {
        send("PUT " + path, request(path).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk, 0, length)), 200);
    }

    /**
     * {@code boot-resources create ... content@=FILE}: hashes the file, then either resumes an incomplete upload of
     * the same name, architecture and sha256, or creates a new version and uploads it in 4 MiB chunks. Returns the
     * resource as read after the upload.
     */
    public JsonNode createBootResource(Map<String, String> fields, Path content, Progress progress) throws IOException, InterruptedException {
        long size = Files.size(content);
        Map<String, String> form = new TreeMap<>(fields);
        form.put("sha256", Sha256.ofFile(content));
        form.put("size", Long.toString(size));
        Target target = resumable(form).orElse(null);
        if (target == null) {
            JsonNode created = post("boot-resources/", form, 201);
            JsonNode file = newestFile(created);
            if (file.path("complete").asBoolean(false)) {
                progress.update(size, size);
                return created;
            }
            target = new Target(created.path("id").asLong(), file.path("upload_uri").asText(), 0);
        }
        upload(content, target, size, progress);
        return get("boot-resources/" + target.id + "/");
    }

    private record Target(long id, String uploadUri, long offset) {
    }

    private java.util.Optional<Target> resumable(Map<String, String> form) throws IOException, InterruptedException {
        String name = form.getOrDefault("name", "");
        if (!name.contains("/")) {
            name = "custom/" + name;
        }
        for (JsonNode r : get("boot-resources/?type=uploaded")) {
            if (!r.path("name").asText().equals(name) || !r.path("architecture").asText().equals(form.getOrDefault("architecture", ""))) {
                continue;
            }
            JsonNode full = get("boot-resources/" + r.path("id").asLong() + "/");
            for (JsonNode set : iterable(full.path("sets"))) {
                for (JsonNode f : iterable(set.path("files"))) {
                    if (!f.path("complete").asBoolean(true) && f.path("sha256").asText().equals(form.get("sha256"))
                            && f.path("size").asText().equals(form.get("size")) && f.has("upload_uri")) {
                        return java.util.Optional.of(new Target(full.path("id").asLong(), f.path("upload_uri").asText(),
                                f.path("uploaded_size").asLong(0)));
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    private void upload(Path content, Target target, long size, Progress progress) throws IOException, InterruptedException {
        String path = target.uploadUri.startsWith("/MAAS/api/2.0/") ? target.uploadUri.substring("/MAAS/api/2.0/".length()) : target.uploadUri;
        byte[] chunk = new byte[CHUNK];
        long sent = target.offset;
        progress.update(sent, size);
        try (FileChannel ch = FileChannel.open(content, StandardOpenOption.READ)) {
            ch.position(sent);
            while (sent < size) {
                int n = readFully(ch, chunk);
                if (n <= 0) {
                    throw new IOException(content + ": shorter than " + size + " bytes while uploading");
                }
                put(path, chunk, n);
                sent += n;
                progress.update(sent, size);
            }
        }
    }

    private static int readFully(FileChannel ch, byte[] into) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                break;
            }
        }
        return b.position();
    }

    /** The file of the newest set (highest version) of a created resource. */
    static JsonNode newestFile(JsonNode resource) throws IOException {
        List<String> versions = new ArrayList<>();
        resource.path("sets").fieldNames().forEachRemaining(versions::add);
        versions.sort(MaasApi::compareVersions);
        if (versions.isEmpty()) {
            throw new IOException("create: the answer has no sets: " + resource);
        }
        Iterator<JsonNode> files = resource.path("sets").path(versions.get(versions.size() - 1)).path("files").elements();
        if (!files.hasNext()) {
            throw new IOException("create: the newest set has no file: " + resource);
        }
        return files.next();
    }

    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? parse(x[i]) : -1;
            long q = i < y.length ? parse(y[i]) : -1;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Iterable<JsonNode> iterable(JsonNode n) {
        return n::elements;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(api().resolve(path)).timeout(Duration.ofMinutes(10))
                .header("Authorization", key.authorization(clock.instant().getEpochSecond(), nonce()));
    }

    private String nonce() {
        return Long.toUnsignedString(random.nextLong()) + clock.instant().getEpochSecond();
    }

    private String send(String call, HttpRequest.Builder req, int expected) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != expected) {
            throw new ApiException(call, r.statusCode(), r.body());
        }
        return r.body();
    }

    private static JsonNode json(String body) throws IOException {
        return body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
    }
}
