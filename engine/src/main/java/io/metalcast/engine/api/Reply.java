package io.metalcast.engine.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/** A complete answer, built off the event loop and written by {@link Http}. */
record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    Reply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    static Reply text(HttpResponseStatus status, String text) {
        return new Reply(status, "text/plain; charset=utf-8", (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static Reply json(HttpResponseStatus status, byte[] json) {
        return new Reply(status, "application/json", json, Map.of());
    }

    static Reply empty(HttpResponseStatus status) {
        return new Reply(status, "text/plain; charset=utf-8", new byte[0], Map.of());
    }
}
