package io.metalcast.engine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds multipart/form-data bodies in tests. */
public final class Multipart {
    public static final String BOUNDARY = "metalcast-test-boundary-7d1f";
    private final Map<String, String> fields = new LinkedHashMap<>();
    private byte[] content;

    public Multipart field(String name, String value) {
        fields.put(name, value);
        return this;
    }

    public Multipart content(byte[] bytes) {
        this.content = bytes;
        return this;
    }

    public String contentType() {
        return "multipart/form-data; boundary=" + BOUNDARY;
    }

    public byte[] body() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fields.forEach((k, v) -> write(out, "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n"));
        if (content != null) {
            write(out, "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"content\"; filename=\"image.raw\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n");
            out.writeBytes(content);
            write(out, "\r\n");
        }
        write(out, "--" + BOUNDARY + "--\r\n");
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
}
