package io.metalcast.pxe.boot;

import java.util.Optional;

/** Client system architectures of DHCP option 93 (RFC 4578, IANA registry) that metalcast boots. */
public enum ClientArch {
    BIOS_X86(0, false),
    UEFI_X86_64(7, false),
    /** Some firmware sends 9 (EFI x86-64, originally "EFI BC") for x86-64 UEFI. */
    UEFI_X86_64_ALT(9, false),
    UEFI_ARM64(11, false),
    UEFI_X86_64_HTTP(16, true),
    UEFI_ARM64_HTTP(19, true);

    private final int code;
    private final boolean httpBoot;

    ClientArch(int code, boolean httpBoot) {
        this.code = code;
        this.httpBoot = httpBoot;
    }

    public int code() {
        return code;
    }

    /** True for UEFI HTTP boot clients, which want a URL and option 60 {@code HTTPClient} back. */
    public boolean httpBoot() {
        return httpBoot;
    }

    public boolean uefi() {
        return this != BIOS_X86;
    }

    public static Optional<ClientArch> ofCode(int code) {
        for (ClientArch a : values()) {
            if (a.code == code) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
