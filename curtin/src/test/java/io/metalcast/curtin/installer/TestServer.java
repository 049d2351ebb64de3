package io.metalcast.curtin.installer;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metalcast.curtin.event.InstallEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP server on a free loopback port: serves a config and an image, records posted events with their headers. */
final class TestServer implements AutoCloseable {
    record Posted(String path, Map<String, List<String>> headers, byte[] body, InstallEvent event) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0))
                    .findFirst().orElse(null);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpServer server;
    private final List<Posted> posted = new ArrayList<>();
    volatile String config = "";
    volatile byte[] image = new byte[0];
    /** More files, served at {@code /files/<name>} exactly as {@link #image} is. */
    final Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>();
    /** When >= 0: announce the full length but close the connection on reaching this byte of the file. */
    volatile long cutImageAt = -1;
    /** How many responses {@link #cutImageAt} cuts; then files are served whole. */
    final AtomicInteger cutsLeft = new AtomicInteger(Integer.MAX_VALUE);
    /** Whether {@code Range: bytes=N-} and {@code bytes=N-M} are answered with 206; when false the whole file comes with 200. */
    volatile boolean rangeSupport = true;
    /** The Range headers received, in order. */
    final List<String> ranges = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Status answers for the next webhook posts (then 204). */
    final List<Integer> statusPlan = new ArrayList<>();
    final AtomicInteger statusRequests = new AtomicInteger();

    TestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/config", ex -> send(ex, 200, config.getBytes(StandardCharsets.UTF_8)));
        server.createContext("/image", ex -> serve(ex, image));
        server.createContext("/files/", ex -> {
            byte[] data = files.get(ex.getRequestURI().getPath().substring("/files/".length()));
            if (data == null) {
                send(ex, 404, new byte[0]);
            } else {
                serve(ex, data);
            }
        });
        server.createContext("/MAAS/metadata/status/", this::status);
        server.start();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    synchronized List<Posted> posted() {
        return List.copyOf(posted);
    }

    private void serve(HttpExchange ex, byte[] data) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        long from = 0;
        long end = data.length; // exclusive
        int status = 200;
        if (range != null) {
            ranges.add(range);
            if (rangeSupport) {
                var m = java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d*)").matcher(range);
                if (!m.matches() || Long.parseLong(m.group(1)) >= data.length) {
                    send(ex, 416, new byte[0]);
                    return;
                }
                from = Long.parseLong(m.group(1));
                end = m.group(2).isEmpty() ? data.length : Math.min(data.length, Long.parseLong(m.group(2)) + 1);
                status = 206;
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (end - 1) + "/" + data.length);
            }
        }
        long cut = cutImageAt;
        boolean cutThis = cut >= from && cut < end && cutsLeft.getAndDecrement() > 0;
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(status, end - from);
        try (OutputStream out = ex.getResponseBody()) {
            if (cutThis) {
                out.write(data, (int) from, (int) (cut - from));
                out.flush();
                ex.close();
                return;
            }
            out.write(data, (int) from, (int) (end - from));
        } catch (IOException e) {
            // the client went away: part of some tests
        }
    }

    private void status(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        statusRequests.incrementAndGet();
        int status;
        synchronized (this) {
            status = statusPlan.isEmpty() ? 204 : statusPlan.remove(0);
            if (status == 204) {
                posted.add(new Posted(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body,
                        JSON.readValue(body, InstallEvent.class)));
            }
        }
        if (status == 401) {
            ex.getResponseHeaders().add("Date", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                    .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)));
        }
        send(ex, status, new byte[0]);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
