package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.DhcpBoot;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A boot policy answering from a function, recording each client and the thread that asked. */
final class TestPolicy implements BootPolicy {
    final List<BootClient> clients = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    volatile Function<BootClient, Optional<DhcpBoot>> answer;

    TestPolicy(Function<BootClient, Optional<DhcpBoot>> answer) {
        this.answer = answer;
    }

    @Override
    public Optional<DhcpBoot> dhcpBoot(BootClient client) {
        clients.add(client);
        threads.add(Thread.currentThread().getName());
        return answer.apply(client);
    }

    @Override
    public Optional<BootContent> open(BootFileRequest request) {
        return Optional.empty();
    }

    /** MAAS-like choices: iPXE gets the script URL, BIOS lpxelinux.0, UEFI bootx64.efi, HTTP boot a URL. */
    static Optional<DhcpBoot> maasLike(BootClient c, java.net.Inet4Address server) {
        String base = "http://" + server.getHostAddress() + ":5248/";
        if (c.ipxe()) {
            return Optional.of(new DhcpBoot(base + "ipxe.cfg", server, "node-" + c.mac().hyphenated()));
        }
        return c.architecture().map(a -> switch (a) {
            case BIOS_X86 -> new DhcpBoot("lpxelinux.0", server, "");
            case UEFI_X86_64_HTTP, UEFI_ARM64_HTTP -> new DhcpBoot(base + "images/bootx64.efi", server, "");
            case UEFI_ARM64 -> new DhcpBoot("bootaa64.efi", server, "");
            default -> new DhcpBoot("bootx64.efi", server, "");
        });
    }
}
