package io.metalcast.engine.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.TestEngine;
import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.DhcpBoot;
import io.metalcast.pxe.boot.MacAddress;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineBootPolicyTest {
    private static final String BOOT = "http://127.0.0.1:" + TestEngine.HTTP_PORT;
    private static final AtomicInteger NEXT = new AtomicInteger(1);
    private TestEngine t;
    private BootPolicy policy;
    private BootResource image;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        t = new TestEngine(tmp);
        policy = t.engine.bootPolicy();
        t.addEphemeral("ubuntu", "amd64", "jammy");
        BootResources r = t.engine.resources();
        Path content = Files.createTempFile(r.store().tmpDir(), "test-", ".raw");
        Files.write(content, new io.metalcast.engine.TestImages(Files.createDirectories(tmp.resolve("images"))).raw(7));
        image = r.upload(r.check(Map.of("name", "custom/sample", "architecture", "amd64/generic", "base_image", "ubuntu/jammy",
                "filetype", "ddraw")), content);
    }

    @AfterAll
    void stop() {
        t.close();
    }

    private static MacAddress mac() {
        int n = NEXT.getAndIncrement();
        return MacAddress.parse(String.format("52:54:00:aa:%02x:%02x", n / 256, n % 256));
    }

    private static BootClient client(MacAddress mac, Optional<ClientArch> arch, boolean ipxe) {
        return new BootClient(mac, arch, ipxe, ipxe ? "" : "PXEClient:Arch:00000:UNDI:002001", "mc-br0");
    }

    private Optional<String> text(String path) throws Exception {
        return policy.open(new BootFileRequest(path, InetAddress.getLoopbackAddress(), BootFileRequest.Protocol.HTTP)).map(c -> {
            assertInstanceOf(BootContent.Generated.class, c);
            return new String(((BootContent.Generated) c).bytes(), StandardCharsets.UTF_8);
        });
    }

    private Optional<BootContent> open(String path) {
        return policy.open(new BootFileRequest(path, InetAddress.getLoopbackAddress(), BootFileRequest.Protocol.TFTP));
    }

    static Stream<Arguments> bootFiles() {
        return Stream.of(
                Arguments.of(Optional.of(ClientArch.BIOS_X86), "undionly.kpxe"),
                Arguments.of(Optional.of(ClientArch.UEFI_X86_64), "ipxe.efi"),
                Arguments.of(Optional.of(ClientArch.UEFI_X86_64_ALT), "ipxe.efi"),
                Arguments.of(Optional.of(ClientArch.UEFI_X86_64_HTTP), BOOT + "/ipxe.efi"));
    }

    @ParameterizedTest
    @MethodSource("bootFiles")
    void firmwareGetsALoaderByArchitectureAndIsEnlisted(Optional<ClientArch> arch, String bootFile) {
        MacAddress mac = mac();
        DhcpBoot boot = policy.dhcpBoot(client(mac, arch, false)).orElseThrow();
        assertEquals(bootFile, boot.bootFile());
        assertEquals("127.0.0.1", boot.nextServer().getHostAddress());
        Machine m = t.engine.machines().byMac(mac).orElseThrow();
        assertEquals(MachineStatus.NEW, m.status());
        assertEquals(m.hostname(), boot.hostname());
        assertTrue(m.hostname().matches("node-[a-z0-9]{6}"));
    }

    @Test
    void ipxeClientGetsItsPerMacScriptUrl() {
        MacAddress mac = mac();
        DhcpBoot boot = policy.dhcpBoot(client(mac, Optional.of(ClientArch.BIOS_X86), true)).orElseThrow();
        assertEquals(BOOT + "/ipxe.cfg-" + mac, boot.bootFile());
        DhcpBoot again = policy.dhcpBoot(client(mac, Optional.empty(), true)).orElseThrow();
        assertEquals(boot.hostname(), again.hostname(), "same machine, enlisted once");
    }

    @Test
    void unsupportedClientsAreIgnored() {
        MacAddress mac = mac();
        assertEquals(Optional.empty(), policy.dhcpBoot(client(mac, Optional.of(ClientArch.UEFI_ARM64), false)));
        assertEquals(Optional.empty(), policy.dhcpBoot(client(mac, Optional.empty(), false)));
        assertEquals(Optional.empty(), t.engine.machines().byMac(mac));
    }

    @Test
    void loadersComeFromTheIpxeDirectory() throws Exception {
        BootContent.OnDisk k = (BootContent.OnDisk) open("undionly.kpxe").orElseThrow();
        assertEquals(3, Files.size(k.file()));
        assertTrue(k.file().endsWith("undionly.kpxe"));
        BootContent.OnDisk e = (BootContent.OnDisk) open("ipxe.efi").orElseThrow();
        assertTrue(e.file().endsWith("ipxe.efi"));
    }

    @Test
    void genericScriptChainsThePerMacOne() throws Exception {
        assertEquals("#!ipxe\nchain --replace --autofree " + BOOT + "/ipxe.cfg-${mac}\n", text("ipxe.cfg").orElseThrow());
    }

    @Test
    void newMachineWaitsAndRechainsItself() throws Exception {
        MacAddress mac = mac();
        Machine m = t.engine.machines().enlist(mac, ClientArch.BIOS_X86);
        assertEquals("#!ipxe\n"
                + "echo metalcast: " + m.hostname() + " (" + m.systemId() + ") is New; waiting for a deploy request\n"
                + "sleep 5 || prompt --timeout 5000 waiting... ||\n"
                + "chain --replace --autofree " + BOOT + "/ipxe.cfg-" + mac + "\n", text("ipxe.cfg-" + mac).orElseThrow());
        assertEquals(text("ipxe.cfg-" + mac), text("ipxe.cfg-" + mac.hyphenated()), "either MAC spelling");
        assertEquals(Optional.empty(), text("ipxe.cfg-" + mac()), "unknown MAC");
    }

    @Test
    void deployingMachineBootsTheEphemeralAndPushesItsDeadline() throws Exception {
        MacAddress mac = mac();
        Machine m = t.engine.machines().enlist(mac, ClientArch.BIOS_X86);
        m = t.engine.machines().deploy(m.systemId(), "custom/sample", "");
        Instant deadline = m.row().deployDeadline().orElseThrow();
        t.clock.advance(Duration.ofSeconds(100));
        String eph = BOOT + "/ephemeral/ubuntu/amd64/jammy/";
        assertEquals("#!ipxe\n"
                + "kernel " + eph + "boot-kernel initrd=boot-initrd nomodeset root=squash:" + eph + "squashfs ip=::::" + m.hostname()
                + ":BOOTIF ip6=off cloud-config-url=" + t.api() + "/MAAS/metadata/latest/by-id/" + m.systemId() + "/" + m.row().tokenKey()
                + "/?op=get_preseed overlayroot=tmpfs console=tty0 console=ttyS0,115200n8 BOOTIF=01-" + mac.hyphenated() + "\n"
                + "initrd " + eph + "boot-initrd\n"
                + "boot\n", text("ipxe.cfg-" + mac).orElseThrow());
        Instant pushed = t.engine.machines().get(m.systemId()).orElseThrow().row().deployDeadline().orElseThrow();
        assertEquals(deadline.plusSeconds(100), pushed);
    }

    @Test
    void deployedMachineExitsToItsDisk() throws Exception {
        MacAddress mac = mac();
        Machine m = t.engine.machines().enlist(mac, ClientArch.BIOS_X86);
        t.engine.machines().deploy(m.systemId(), "custom/sample", "");
        t.engine.machines().report(m.systemId(), new InstallEvent("cmd-install", "finish", "SUCCESS", "done", "curtin", 1.0, null, null));
        String script = text("ipxe.cfg-" + mac).orElseThrow();
        assertTrue(script.startsWith("#!ipxe\necho "), script);
        assertTrue(script.endsWith("\nexit\n"), script);
    }

    @Test
    void failedMachineWaitsLikeANewOne() throws Exception {
        MacAddress mac = mac();
        Machine m = t.engine.machines().enlist(mac, ClientArch.BIOS_X86);
        t.engine.machines().deploy(m.systemId(), "custom/sample", "");
        t.engine.machines().report(m.systemId(), new InstallEvent("cmd-install", "finish", "FAIL", "broke", "curtin", 1.0, null, null));
        String script = text("ipxe.cfg-" + mac).orElseThrow();
        assertTrue(script.contains("is Failed deployment; waiting for a deploy request\n"), script);
        assertTrue(script.endsWith("chain --replace --autofree " + BOOT + "/ipxe.cfg-" + mac + "\n"), script);
    }

    @Test
    void publishedFilesOpenFromDisk() throws Exception {
        for (String f : List.of("boot-kernel", "boot-initrd", "squashfs")) {
            BootContent.OnDisk c = (BootContent.OnDisk) open("ephemeral/ubuntu/amd64/jammy/" + f).orElseThrow();
            assertEquals(f.equals("squashfs") ? "squashfs" : f.substring(5), Files.readString(c.file()));
        }
        String sha = image.files().get(0).sha256();
        BootContent.OnDisk img = (BootContent.OnDisk) open("images/" + sha.substring(0, 16) + "/custom/amd64/generic/sample/uploaded/root-dd.raw")
                .orElseThrow();
        assertEquals(sha, Sha256.of(Files.readAllBytes(img.file())));
        String dir = "images/" + sha.substring(0, 16) + "/custom/amd64/generic/sample/uploaded/";
        BootContent.OnDisk map = (BootContent.OnDisk) open(dir + "root-dd.raw.bmap").orElseThrow();
        assertEquals(t.engine.resources().store().blockMap(sha), map.file());
        for (String other : List.of("root-dd.raw.x", "root-dd.gz.bmap", "x", "root-dd.raw/x", "../uploaded/root-dd.raw")) {
            assertEquals(Optional.empty(), open(dir + other), other);
        }
        assertEquals(Optional.empty(), open(dir.replace("/uploaded/", "/other/") + "root-dd.raw"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nothing", "ipxe.cfg-", "ipxe.cfg-zz:zz", "ipxe.cfg-../../etc/passwd", "undionly.kpxe/x", "pxelinux.0",
            "ephemeral/ubuntu/amd64/jammy", "ephemeral/ubuntu/amd64/jammy/vmlinuz", "ephemeral/Ubuntu/amd64/jammy/boot-kernel",
            "ephemeral/ubuntu/amd64/focal/boot-kernel", "ephemeral/ubuntu/amd64/jammy/boot-kernel/x", "images/0000000000000000/x/root-dd.raw",
            "images/0000000000000000/custom/amd64/generic/sample/uploaded/root-dd.raw.bmap",
            "images/abc/x", "images", "files/x", "db/metalcast.mv.db", "tmp/x", "ephemeral/ubuntu/amd64/%2e%2e/boot-kernel"})
    void everythingElseIsNotFound(String path) {
        assertEquals(Optional.empty(), open(path));
    }
}
