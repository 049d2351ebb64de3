package io.metalcast.pxe.boot;

import java.util.Objects;
import java.util.Optional;

/**
 * A machine asking to boot, as its DHCP request describes it.
 *
 * @param mac           the client hardware address (chaddr)
 * @param architecture  DHCP option 93, empty when the client sent none or a malformed one
 * @param ipxe          true when the client is already iPXE (user class 77 {@code iPXE}): never send it iPXE again
 * @param vendorClass   DHCP option 60 as sent ({@code PXEClient:Arch:00000:...}), empty string when absent
 * @param interfaceName the server interface the request arrived on
 */
public record BootClient(MacAddress mac, Optional<ClientArch> architecture, boolean ipxe, String vendorClass, String interfaceName) {
    public BootClient {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(vendorClass, "vendorClass");
        Objects.requireNonNull(interfaceName, "interfaceName");
    }
}
