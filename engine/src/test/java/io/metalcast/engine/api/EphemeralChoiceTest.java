package io.metalcast.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.Multipart;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.TestImages;
import io.metalcast.engine.machine.Machine;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ephemeral that deploys an image: its Ubuntu base's release, the commissioning release for any other base; an
 * absent one refuses the deploy at once, naming the release and the command that imports it.
 */
class EphemeralChoiceTest {
    private static HttpResponse<String> upload(TestEngine t, Multipart form) throws Exception {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/boot-resources/"))
                .header("Content-Type", form.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(form.body())).build());
    }

    private static HttpResponse<String> deploy(TestEngine t, String systemId, String series) throws Exception {
        return t.send(HttpRequest.newBuilder(URI.create(t.api() + "/MAAS/api/2.0/machines/" + systemId + "/?op=deploy"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("distro_series=" + series)).build());
    }

    private static String script(TestEngine t, Machine m) throws Exception {
        BootContent c = t.engine.bootPolicy().open(new BootFileRequest("ipxe.cfg-" + m.row().mac(), java.net.InetAddress.getLoopbackAddress(), BootFileRequest.Protocol.HTTP)).orElseThrow();
        return new String(((BootContent.Generated) c).bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aCentosImageBootsTheCommissioningReleaseAndAnUbuntuImageItsOwn(@TempDir Path tmp, @TempDir Path work) throws Exception {
        TestImages images = new TestImages(work);
        try (TestEngine t = new TestEngine(tmp)) {
            assertEquals(201, upload(t, new Multipart().field("name", "custom/centos8").field("architecture", "amd64/generic")
                    .field("base_image", "centos/8").field("filetype", "tgz")
                    .content(images.pack(ImageFiletype.TGZ, TestImages.CENTOS8, 1))).statusCode());
            assertEquals(201, upload(t, new Multipart().field("name", "custom/noble").field("architecture", "amd64/generic")
                    .field("base_image", "ubuntu/noble").field("filetype", "ddgz")
                    .content(images.pack(ImageFiletype.DDGZ, TestImages.NOBLE, 2))).statusCode());
            Machine a = t.engine.machines().enlist(MacAddress.parse("52:54:00:c0:00:01"), ClientArch.BIOS_X86);
            Machine b = t.engine.machines().enlist(MacAddress.parse("52:54:00:c0:00:02"), ClientArch.BIOS_X86);

            HttpResponse<String> none = deploy(t, a.systemId(), "custom/centos8");
            assertEquals(409, none.statusCode(), none.body());
            assertEquals("no ephemeral image for ubuntu/jammy amd64: import it first (./metalcast import MIRROR --release jammy)\n", none.body());
            t.addEphemeral("ubuntu", "amd64", "jammy");
            HttpResponse<String> noNoble = deploy(t, b.systemId(), "custom/noble");
            assertEquals(409, noNoble.statusCode(), noNoble.body());
            assertEquals("no ephemeral image for ubuntu/noble amd64: import it first (./metalcast import MIRROR --release noble)\n",
                    noNoble.body());

            HttpResponse<String> ok = deploy(t, a.systemId(), "custom/centos8");
            assertEquals(200, ok.statusCode(), ok.body());
            String s = script(t, a);
            assertTrue(s.contains("/ephemeral/ubuntu/amd64/jammy/boot-kernel "), s);

            t.addEphemeral("ubuntu", "amd64", "noble");
            assertEquals(200, deploy(t, b.systemId(), "custom/noble").statusCode());
            String n = script(t, b);
            assertTrue(n.contains("/ephemeral/ubuntu/amd64/noble/boot-kernel "), n);
        }
    }
}
