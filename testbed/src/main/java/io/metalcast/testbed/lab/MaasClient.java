package io.metalcast.testbed.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.engine.auth.ApiKey;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/** The few MAAS API 2.0 calls the lab makes, over real HTTP, each signed with the operator's key as MAAS clients sign. */
public final class MaasClient {
    /** An API answer that was not the expected status. */
    public static final class ApiError extends IOException {
        ApiError(String call, int status, String body) {
            super(call + ": HTTP " + status + " " + body.strip());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final ApiKey key;

    public MaasClient(URI api, ApiKey key) {
        this.base = api.resolve("MAAS/api/2.0/");
        this.key = key;
    }

    public List<JsonNode> machines() throws IOException, InterruptedException {
        JsonNode list = send("list machines", HttpRequest.newBuilder(base.resolve("machines/")).GET(), 200);
        List<JsonNode> out = new ArrayList<>();
        list.forEach(out::add);
        return out;
    }

    public Optional<JsonNode> machineByMac(String mac) throws IOException, InterruptedException {
        for (JsonNode m : machines()) {
            if (mac.equalsIgnoreCase(m.path("boot_interface").path("mac_address").asText())) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** {@code boot-resources create name=... architecture=... title=... base_image=... filetype=... content@=FILE} */
    public JsonNode uploadBootResource(Map<String, String> fields, Path content) throws IOException, InterruptedException {
        String boundary = "metalcast-" + UUID.randomUUID();
        List<HttpRequest.BodyPublisher> parts = new ArrayList<>();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\""
                    + f.getKey() + "\"\r\n\r\n" + f.getValue() + "\r\n"));
        }
        parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"content\"; filename=\""
                + content.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
        parts.add(HttpRequest.BodyPublishers.ofFile(content));
        parts.add(HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n"));
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("boot-resources/"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(parts.toArray(HttpRequest.BodyPublisher[]::new)));
        return send("boot-resources create", req, 201);
    }

    /** {@code machine deploy SYSTEM_ID distro_series=NAME} */
    public JsonNode deploy(String systemId, String distroSeries) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("distro_series", distroSeries);
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("machines/" + systemId + "/?op=deploy"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return send("machine deploy", req, 200);
    }

    private JsonNode send(String call, HttpRequest.Builder request, int expected) throws IOException, InterruptedException {
        request.header("Authorization", key.authorization(Instant.now().getEpochSecond(), UUID.randomUUID().toString().replace("-", "")));
        HttpResponse<String> r = http.send(request.timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new ApiError(call, r.statusCode(), r.body());
        }
        return JSON.readTree(r.body());
    }
}
