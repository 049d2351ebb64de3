package io.metalcast.engine.api;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads small forms (an aggregated body): urlencoded, or multipart/form-data whose parts may be base64-encoded as the
 * {@code maas} CLI sends them. Big uploads go through {@link UploadHandler} instead.
 */
final class Forms {
    private Forms() {
    }

    /** Thrown when the body cannot be read as the form its Content-Type names. */
    static final class BadForm extends Exception {
        private static final long serialVersionUID = 1L;

        BadForm(String message) {
            super(message);
        }
    }

    static Map<String, String> parse(FullHttpRequest req) throws BadForm {
        Map<String, String> out = new LinkedHashMap<>();
        parts(req).forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
        return out;
    }

    /** Each field's bytes (first occurrence wins); base64 parts decoded. */
    static Map<String, byte[]> parts(FullHttpRequest req) throws BadForm {
        Map<String, byte[]> out = new LinkedHashMap<>();
        String type = Optional.ofNullable(req.headers().get(HttpHeaderNames.CONTENT_TYPE)).orElse("").trim();
        String lower = type.toLowerCase(Locale.ROOT);
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        if (body.length == 0) {
            return out;
        }
        if (lower.startsWith("application/x-www-form-urlencoded")) {
            new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false)
                    .parameters().forEach((k, v) -> out.put(k, v.get(0).getBytes(StandardCharsets.UTF_8)));
            return out;
        }
        if (lower.startsWith("multipart/form-data")) {
            String boundary = param(type, "boundary").orElseThrow(() -> new BadForm("Content-Type: multipart/form-data without a boundary"));
            multipart(body, boundary, out);
            return out;
        }
        throw new BadForm("Content-Type: '" + type + "' (expected: application/x-www-form-urlencoded or multipart/form-data)");
    }

    static Optional<String> param(String headerValue, String name) {
        for (String p : headerValue.split(";")) {
            String t = p.trim();
            if (t.regionMatches(true, 0, name + "=", 0, name.length() + 1)) {
                String v = t.substring(name.length() + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v.isEmpty() ? Optional.empty() : Optional.of(v);
            }
        }
        return Optional.empty();
    }

    private static void multipart(byte[] body, String boundary, Map<String, byte[]> out) throws BadForm {
        // ISO-8859-1 maps bytes 1:1 to chars, so offsets stay byte offsets.
        String text = new String(body, StandardCharsets.ISO_8859_1);
        String delimiter = "--" + boundary;
        int pos = text.indexOf(delimiter);
        if (pos < 0) {
            throw new BadForm("multipart body: boundary not found");
        }
        while (true) {
            pos += delimiter.length();
            if (text.startsWith("--", pos)) {
                return;
            }
            int headersStart = text.indexOf("\r\n", pos);
            int headersEnd = text.indexOf("\r\n\r\n", pos);
            int next = text.indexOf("\r\n" + delimiter, pos);
            if (headersStart < 0 || headersEnd < 0 || next < 0 || headersEnd > next) {
                throw new BadForm("multipart body: malformed part");
            }
            String name = null;
            boolean base64 = false;
            for (String line : List.of(text.substring(headersStart + 2, headersEnd).split("\r\n"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String h = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String v = line.substring(colon + 1).trim();
                if (h.equals("content-disposition")) {
                    name = param(v, "name").orElse(null);
                } else if (h.equals("content-transfer-encoding")) {
                    base64 = v.equalsIgnoreCase("base64");
                }
            }
            String raw = text.substring(headersEnd + 4, next);
            byte[] value = raw.getBytes(StandardCharsets.ISO_8859_1);
            if (base64) {
                try {
                    value = Base64.getMimeDecoder().decode(value);
                } catch (IllegalArgumentException e) {
                    throw new BadForm("multipart part '" + name + "': not valid base64");
                }
            }
            if (name != null) {
                out.putIfAbsent(name, value);
            }
            pos = next + 2;
        }
    }
}
