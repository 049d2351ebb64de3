package io.metalcast.curtin.reporting;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.event.InstallEvent;
import java.io.IOException;
import java.math.BigDecimal;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

/**
 * Posts events to one webhook reporter as curtin does: ASCII JSON, OAuth PLAINTEXT when configured. Connection errors
 * and 5xx are retried with a short backoff; on 401/403 the clock offset is taken from the server's {@code Date} header
 * and the post retried once (curtin does the same). After giving up on one event, later ones get a single attempt
 * until a post succeeds, so an unreachable endpoint does not hold back the end of the install. Failures are logged through {@code log}, never thrown; the token
 * secret is never logged.
 */
public final class WebhookClient implements EventSink {
    /** Attempts per event for connection errors and 5xx. */
    public static final int ATTEMPTS = 3;

    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    private final WebhookReporter reporter;
    private final OAuthPlaintext oauth;
    private final Clock clock;
    private final Duration backoff;
    private final Duration timeout;
    private final Consumer<String> log;
    private volatile long clockSkewSeconds;
    /** Set when an event was given up on: later events get one attempt each until a post succeeds again. */
    private volatile boolean unreachable;

    public WebhookClient(WebhookReporter reporter, OAuthPlaintext oauth, Clock clock, Duration backoff, Duration timeout,
                         Consumer<String> log) {
        this.reporter = reporter;
        this.oauth = oauth;
        this.clock = clock;
        this.backoff = backoff;
        this.timeout = timeout;
        this.log = log;
    }

    public WebhookClient(WebhookReporter reporter, Consumer<String> log) {
        this(reporter, new OAuthPlaintext(), Clock.systemUTC(), Duration.ofMillis(500), Duration.ofSeconds(10), log);
    }

    /** The JSON body curtin would post for {@code event}: {@code files} only when there are files, pure ASCII. */
    public static byte[] body(InstallEvent event) {
        ObjectNode node = JSON.valueToTree(event);
        node.put("timestamp", BigDecimal.valueOf(event.timestamp())); // 1795791962.470885 as curtin writes it, not 1.79E9
        if (event.files().isEmpty()) {
            node.remove("files");
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("install event not serialisable: " + event.name(), e);
        }
    }

    @Override
    public void report(InstallEvent event) {
        byte[] body = body(event);
        boolean clockFixed = false;
        int attempts = unreachable ? 1 : ATTEMPTS;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                int status = post(body);
                if (status / 100 == 2) {
                    unreachable = false;
                    return;
                }
                if ((status == 401 || status == 403) && !clockFixed) {
                    clockFixed = true;
                    attempt--;
                    continue;
                }
                if (status < 500) {
                    log.accept("webhook " + reporter.endpoint() + ": HTTP " + status + " for " + event.name() + " " + event.eventType()
                            + ", not retried");
                    return;
                }
                log.accept("webhook " + reporter.endpoint() + ": HTTP " + status + " (attempt " + attempt + "/" + attempts + ")");
            } catch (IOException e) {
                log.accept("webhook " + reporter.endpoint() + ": " + e + " (attempt " + attempt + "/" + attempts + ")");
            }
            if (attempt < attempts) {
                try {
                    Thread.sleep(backoff.toMillis() * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        unreachable = true;
        log.accept("webhook " + reporter.endpoint() + ": gave up on " + event.name() + " " + event.eventType());
    }

    private int post(byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(reporter.endpoint()).openConnection();
        try {
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setInstanceFollowRedirects(false);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", "application/json");
            c.setRequestProperty("User-Agent", "metalcast-installer");
            if (OAuthPlaintext.signs(reporter)) {
                c.setRequestProperty("Authorization", oauth.header(reporter, clock.instant().getEpochSecond() + clockSkewSeconds));
            }
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            if (status == 401 || status == 403) {
                adjustClock(c.getHeaderField("Date"));
            }
            drain(status / 100 == 2 ? c.getInputStream() : c.getErrorStream());
            return status;
        } finally {
            c.disconnect();
        }
    }

    private void adjustClock(String date) {
        if (date == null) {
            return;
        }
        try {
            long server = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
            clockSkewSeconds = server - clock.instant().getEpochSecond();
        } catch (RuntimeException e) {
            log.accept("webhook " + reporter.endpoint() + ": unreadable Date header '" + date + "'");
        }
    }

    private static void drain(InputStream in) throws IOException {
        if (in != null) {
            try (in) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }
    }
}
