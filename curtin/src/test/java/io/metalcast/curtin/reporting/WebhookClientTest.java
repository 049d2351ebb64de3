package io.metalcast.curtin.reporting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.event.InstallEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookClientTest {
    HttpServer server;
    final List<Integer> plan = Collections.synchronizedList(new ArrayList<>());
    final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    static final InstallEvent EVENT = new InstallEvent("cmd-install", "start", null, "caf\u00e9 install", "curtin", 1795791962.470885,
            "DEBUG", List.of());

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/status", ex -> {
            ex.getRequestBody().readAllBytes();
            authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
            int status = plan.isEmpty() ? 204 : plan.remove(0);
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private WebhookClient client(String secret) {
        WebhookReporter r = new WebhookReporter("http://127.0.0.1:" + server.getAddress().getPort() + "/status", "CK", "TK", secret);
        Clock clock = Clock.fixed(Instant.parse("2001-01-01T00:00:00Z"), ZoneOffset.UTC);
        return new WebhookClient(r, new OAuthPlaintext(new Random(1)), clock, Duration.ofMillis(10), Duration.ofSeconds(5), log::add);
    }

    @Test
    void bodyIsAsciiJsonWithAPlainTimestamp() {
        String body = new String(WebhookClient.body(EVENT), StandardCharsets.US_ASCII);
        assertEquals("{\"name\":\"cmd-install\",\"event_type\":\"start\",\"description\":\"caf\\u00E9 install\",\"origin\":\"curtin\","
                + "\"timestamp\":1795791962.470885,\"level\":\"DEBUG\"}", body);
    }

    @Test
    void retriesServerErrorsThenDelivers() {
        plan.addAll(List.of(500, 503));
        client("TS").report(EVENT);
        assertEquals(3, authorizations.size(), log.toString());
        assertTrue(authorizations.get(2).contains("oauth_signature=\"%26TS\""), authorizations.get(2));
    }

    @Test
    void takesTheClockFromTheServerAfter401() {
        assertTrue(Math.abs(Instant.now().getEpochSecond() - Instant.parse("2001-01-01T00:00:00Z").getEpochSecond()) > 60,
                "the fixed client clock must differ from the real one for this test to mean anything");
        plan.add(401);
        client("TS").report(EVENT);
        assertEquals(2, authorizations.size());
        assertTrue(authorizations.get(0).contains("oauth_timestamp=\"" + Instant.parse("2001-01-01T00:00:00Z").getEpochSecond() + "\""));
        // the JDK server stamps its real time in Date; the client's clock is fixed hours away from it
        var m = java.util.regex.Pattern.compile("oauth_timestamp=\"([0-9]+)\"").matcher(authorizations.get(1));
        assertTrue(m.find(), authorizations.get(1));
        assertTrue(Math.abs(Long.parseLong(m.group(1)) - System.currentTimeMillis() / 1000) <= 5, authorizations.get(1));
    }

    @Test
    void doesNotRetryClientErrorsAndNeverLogsTheSecret() {
        plan.addAll(List.of(400, 400));
        client("s3cr3t").report(EVENT);
        assertEquals(1, authorizations.size());
        assertFalse(log.isEmpty());
        assertTrue(log.stream().noneMatch(l -> l.contains("s3cr3t")), log.toString());
    }

    @Test
    void givesUpOnAnUnreachableEndpointThenTriesOncePerEvent() throws Exception {
        server.stop(0);
        WebhookClient c = client("TS");
        c.report(EVENT);
        int first = log.size();
        c.report(EVENT);
        assertEquals(WebhookClient.ATTEMPTS + 1, first, log.toString());
        assertEquals(first + 2, log.size(), log.toString());
    }

    @Test
    void signsOnlyWithAllThreeCredentials() {
        WebhookReporter r = new WebhookReporter("http://127.0.0.1:" + server.getAddress().getPort() + "/status", "", "", "");
        new WebhookClient(r, log::add).report(EVENT);
        assertEquals(1, authorizations.size());
        assertNull(authorizations.get(0));
    }

    @Test
    void encodesLikeOauthlib() {
        String h = new OAuthPlaintext(new Random(1)).header(new WebhookReporter("http://x/", "c k", "t/k", "a&b"), 1795791962L);
        assertTrue(h.startsWith("OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"c%20k\", "
                + "oauth_token=\"t%2Fk\", oauth_signature=\"%26a%2526b\", oauth_nonce=\""), h);
        assertTrue(h.endsWith("\", oauth_timestamp=\"1795791962\""), h);
    }
}
