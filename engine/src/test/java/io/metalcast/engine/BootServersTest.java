package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.engine.config.EngineConfig;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's boot servers, started as `metalcast serve` starts them, answering from the engine's policy. */
class BootServersTest {

    @Test
    void servesLoadersOverTftpAndScriptsOverHttpFromThePolicy(@TempDir Path dir) throws Exception {
        Path ipxe = Files.createDirectories(dir.resolve("ipxe"));
        byte[] loader = new byte[70_000];
        for (int i = 0; i < loader.length; i++) {
            loader[i] = (byte) (i * 31);
        }
        Files.write(ipxe.resolve("undionly.kpxe"), loader);
        // As Debian ships it: /usr/lib/ipxe/ipxe.efi is a symlink to /boot/ipxe.efi.
        Path efi = Files.write(Files.createDirectories(dir.resolve("boot")).resolve("ipxe.efi"), new byte[] {4, 5, 6});
        Files.createSymbolicLink(ipxe.resolve("ipxe.efi"), efi);
        EngineConfig config = EngineConfig.parse("data_dir: '" + dir.resolve("data") + "'\n"
                + "api: {listen: 127.0.0.1:0}\nhttp: {listen: 127.0.0.1:0}\ntftp: {listen: 127.0.0.1:0}\n"
                + "boot: {ipxe_dir: '" + ipxe + "'}\n");
        try (Engine engine = new Engine(config)) {
            engine.start();
            try (BootServers servers = BootServers.start(engine)) {
                int httpPort = servers.http().localAddress().getPort();
                assertTrue(engine.urls().boot().endsWith(":" + httpPort), "boot URLs name the bound port: " + engine.urls().boot());

                TFTPClient tftp = new TFTPClient();
                tftp.open();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                try {
                    tftp.receiveFile("undionly.kpxe", TFTP.BINARY_MODE, got, InetAddress.getLoopbackAddress(),
                            servers.tftp().localAddress().getPort());
                } finally {
                    tftp.close();
                }
                assertArrayEquals(loader, got.toByteArray());

                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<byte[]> uefiLoader = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/ipxe.efi")).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, uefiLoader.statusCode(), "a loader linked out of ipxe_dir is served by its real path");
                assertArrayEquals(new byte[] {4, 5, 6}, uefiLoader.body());

                HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ipxe.cfg")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, script.statusCode());
                assertTrue(script.body().startsWith("#!ipxe"), script.body());
                HttpResponse<String> escape = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/%2e%2e/%2e%2e/etc/passwd")).build(), HttpResponse.BodyHandlers.ofString());
                assertTrue(escape.statusCode() == 400 || escape.statusCode() == 404, "traversal refused: " + escape.statusCode());
            }
        }
    }

    @Test
    void dhcpConfigFollowsTheEngineConfig() {
        EngineConfig config = EngineConfig.parse("advertise: 10.77.0.1\ndhcp:\n  interfaces: [br0]\n  subnet: 10.77.0.0/24\n"
                + "  range: 10.77.0.100-10.77.0.199\n  lease_seconds: 900\n");
        var dhcp = BootServers.dhcpConfig(config, "br0");
        assertEquals("br0", dhcp.interfaceName());
        assertEquals("10.77.0.1", dhcp.serverAddress().getHostAddress());
        assertEquals(24, dhcp.prefixLength());
        assertEquals("10.77.0.100", dhcp.rangeStart().getHostAddress());
        assertEquals(900, dhcp.leaseSeconds());
        assertEquals(67, dhcp.serverPort());
    }
}
