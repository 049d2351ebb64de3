package io.metalcast.pxe.boot;

import java.net.Inet4Address;
import java.util.Objects;

/**
 * What the policy wants a PXE client told in the DHCP answer.
 *
 * @param bootFile   the boot file name (TFTP path such as {@code undionly.kpxe}) or, for iPXE and HTTP boot clients,
 *                   an absolute {@code http://} URL
 * @param nextServer the TFTP server address (siaddr)
 * @param hostname   the host name to hand out in option 12; empty string for none
 */
public record DhcpBoot(String bootFile, Inet4Address nextServer, String hostname) {
    public DhcpBoot {
        Objects.requireNonNull(bootFile, "bootFile");
        Objects.requireNonNull(nextServer, "nextServer");
        Objects.requireNonNull(hostname, "hostname");
        if (bootFile.isEmpty() || bootFile.length() > 127 && !bootFile.startsWith("http")) {
            throw new IllegalArgumentException("bootFile: '" + bootFile + "' (expected: 1..127 characters for a TFTP path)");
        }
    }
}
