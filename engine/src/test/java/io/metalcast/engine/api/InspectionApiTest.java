package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.Multipart;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Uploads inspected before they are listed: every refusal rule through the real API with real images (multipart and
 * the last chunk of a chunked upload), nothing of a refused upload kept, and what was found shown on the resource.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InspectionApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestEngine t;
    private TestImages images;

    @BeforeAll
    void start(@TempDir Path tmp, @TempDir Path work) throws Exception {
        t = new TestEngine(tmp);
        images = new TestImages(work);
    }

    @AfterAll
    void stop() {
        t.close();
    }

    private HttpResponse<String> upload(Multipart form) throws Exception {
        return t.upload(form);
    }

    private static Multipart form(String name, String base, String filetype) {
        return new Multipart().field("name", name).field("architecture", "amd64/generic").field("title", "t")
                .field("base_image", base).field("filetype", filetype);
    }

    private void assertNothingKept() throws Exception {
        HttpResponse<String> list = t.get("/MAAS/api/2.0/boot-resources/?type=uploaded");
        assertEquals("[]", list.body().trim());
        Path data = t.engine.config().dataDir();
        try (Stream<Path> files = Files.list(data.resolve("files")); Stream<Path> tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), files.toList(), "files/");
            assertEquals(List.of(), tmp.toList(), "tmp/");
        }
    }

    Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of(TestImages.JAMMY_NO_CLOUD_INIT, ImageFiletype.DDGZ, "ddgz", "ubuntu/jammy",
                        "content: the image (ubuntu 22.04 (jammy)) has no /usr/bin/cloud-init: MAAS configures deployed machines"
                                + " through cloud-init; install the cloud-init package in the image and upload it again"),
                Arguments.of(TestImages.JAMMY_NO_NETPLAN, ImageFiletype.DDGZ, "ddgz", "ubuntu/jammy",
                        "content: the image (ubuntu 22.04 (jammy)) has no netplan (/usr/sbin/netplan): an Ubuntu image gets its"
                                + " network configuration through netplan; install netplan.io in the image and upload it again"),
                Arguments.of(TestImages.NOBLE, ImageFiletype.DDGZ, "ddgz", "ubuntu/jammy",
                        "content: os-release in the image says ubuntu 24.04 (noble) but base_image is ubuntu/jammy:"
                                + " send base_image=ubuntu/noble"),
                Arguments.of(TestImages.JAMMY, ImageFiletype.DDGZ, "ddtgz", "ubuntu/jammy",
                        "content: filetype ddtgz declares a gzip-compressed tar holding a disk image, but the content is a"
                                + " gzip-compressed raw disk image: send it as filetype=ddgz"),
                Arguments.of(TestImages.CENTOS8_NO_CLOUD_INIT, ImageFiletype.TGZ, "tgz", "centos/8",
                        "content: the image (centos 8) has no /usr/bin/cloud-init: MAAS configures deployed machines"
                                + " through cloud-init; install the cloud-init package in the image and upload it again"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void aRefusedUploadSaysWhatWasFoundAndKeepsNothing(TestImages.Variant v, ImageFiletype built, String declared, String base,
                                                      String message) throws Exception {
        byte[] content = images.pack(built, v, 1);
        HttpResponse<String> r = upload(form("custom/refused", base, declared).content(content));
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(message + "\n", r.body(), "exactly one line");
        assertNothingKept();
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void aChunkedUploadIsRefusedOnItsLastChunk(TestImages.Variant v, ImageFiletype built, String declared, String base,
                                               String message) throws Exception {
        byte[] content = images.pack(built, v, 2);
        HttpResponse<String> created = upload(form("custom/refused-chunked", base, declared).field("sha256", Sha256.of(content))
                .field("size", Integer.toString(content.length)));
        assertEquals(201, created.statusCode(), created.body());
        JsonNode f = JSON.readTree(created.body()).get("sets").elements().next().get("files").elements().next();
        String uri = f.get("upload_uri").asText();
        int half = content.length / 2;
        assertEquals(200, put(uri, Arrays.copyOfRange(content, 0, half)).statusCode());
        HttpResponse<String> last = put(uri, Arrays.copyOfRange(content, half, content.length));
        assertEquals(400, last.statusCode(), last.body());
        assertEquals(message + "\n", last.body());
        assertNothingKept();
    }

    private HttpResponse<String> put(String uri, byte[] chunk) throws Exception {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + uri)).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk)).build());
    }

    @Test
    void anAcceptedUploadShowsItsInspectionOnTheResourceAndTheStatusPage() throws Exception {
        byte[] content = images.pack(ImageFiletype.DDXZ, 3);
        HttpResponse<String> r = upload(form("custom/inspected", "ubuntu/jammy", "ddxz").content(content));
        assertEquals(201, r.statusCode(), r.body());
        JsonNode created = JSON.readTree(r.body());
        JsonNode i = created.get("inspection");
        assertEquals("xz", i.get("compression").asText(), i.toString());
        assertEquals("jammy", i.get("os_release").get("version_codename").asText());
        assertTrue(i.get("found").get("cloud_init").asBoolean());
        assertTrue(i.get("found").get("netplan").asBoolean());
        assertTrue(i.get("found").get("curtin_hooks").asBoolean());
        assertEquals("ubuntu/jammy", i.get("base_image").asText());
        assertTrue(i.get("warnings").isArray());
        JsonNode read = JSON.readTree(t.get(created.get("resource_uri").asText()).body());
        assertEquals(i, read.get("inspection"));
        String page = t.unsigned(HttpRequest.newBuilder(URI.create(t.api() + "/")).build()).body();
        assertTrue(page.contains("release ubuntu 22.04 (jammy); cloud-init yes, netplan yes, curtin-hooks yes"), page);

        // A centos/8 base needs cloud-init only; the same content as another base is inspected again and warned about.
        byte[] centos = images.pack(ImageFiletype.TGZ, TestImages.CENTOS8, 4);
        HttpResponse<String> c = upload(form("custom/centos", "centos/8", "tgz").content(centos));
        assertEquals(201, c.statusCode(), c.body());
        assertFalse(JSON.readTree(c.body()).get("inspection").get("found").get("netplan").asBoolean());
        HttpResponse<String> asRhel = upload(form("custom/centos-as-rhel", "rhel/8", "tgz").content(centos));
        assertEquals(201, asRhel.statusCode(), asRhel.body());
        JsonNode w = JSON.readTree(asRhel.body()).get("inspection");
        assertEquals("rhel/8", w.get("base_image").asText());
        assertEquals("os-release in the image says centos 8 but base_image is rhel/8", w.get("warnings").get(0).asText(), w.toString());
        // The same content with the same filetype and base reuses the stored inspection (sent as a chunked create).
        HttpResponse<String> dedup = upload(form("custom/centos-again", "centos/8", "tgz").field("sha256", Sha256.of(centos))
                .field("size", Integer.toString(centos.length)));
        assertEquals(201, dedup.statusCode(), dedup.body());
        assertEquals(JSON.readTree(c.body()).get("inspection"), JSON.readTree(dedup.body()).get("inspection"));
        // ...but as a base whose rules refuse it, it is inspected again and refused without touching the stored file.
        HttpResponse<String> asUbuntu = upload(form("custom/centos-as-ubuntu", "ubuntu/jammy", "tgz").field("sha256", Sha256.of(centos))
                .field("size", Integer.toString(centos.length)));
        assertEquals(400, asUbuntu.statusCode(), asUbuntu.body());
        assertTrue(asUbuntu.body().startsWith("content: "), asUbuntu.body());
        assertTrue(Files.exists(t.engine.config().dataDir().resolve("files").resolve(Sha256.of(centos))));
        for (String name : List.of("custom/inspected", "custom/centos", "custom/centos-as-rhel", "custom/centos-again")) {
            JsonNode list = JSON.readTree(t.get("/MAAS/api/2.0/boot-resources/?type=uploaded").body());
            for (JsonNode n : list) {
                if (n.get("name").asText().equals(name)) {
                    assertEquals(204, t.send(HttpRequest.newBuilder(URI.create(t.api() + n.get("resource_uri").asText())).DELETE()
                            .build()).statusCode());
                }
            }
        }
        assertNothingKept();
    }
}
