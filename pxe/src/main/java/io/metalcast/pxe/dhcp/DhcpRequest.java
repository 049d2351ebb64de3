package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;

import java.net.Inet4Address;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated DHCP packet from a client (or, with {@code op == 2}, another server's reply seen on the wire).
 *
 * @param op            1 BOOTREQUEST, 2 BOOTREPLY
 * @param type          option 53
 * @param xid           transaction id, echoed
 * @param flags         flags, echoed (bit 15 is broadcast)
 * @param ciaddr        client address, 0.0.0.0 when none
 * @param giaddr        relay address, 0.0.0.0 when not relayed
 * @param mac           chaddr (htype 1, hlen 6 only)
 * @param requested     option 50
 * @param serverId      option 54
 * @param hostname      option 12 when it is a valid host name; garbage is dropped
 * @param vendorClass   option 60 when it holds only safe characters, else the empty string
 * @param pxe           option 60 starts with {@code PXEClient} or {@code HTTPClient}
 * @param httpClient    option 60 starts with {@code HTTPClient}
 * @param ipxe          user class (77) contains {@code iPXE}
 * @param architecture  option 93 when present, well-formed and known
 * @param archMalformed option 93 present but not a list of 16-bit codes
 */
public record DhcpRequest(int op, MessageType type, int xid, short flags, Inet4Address ciaddr, Inet4Address giaddr,
                          MacAddress mac, Optional<Inet4Address> requested, Optional<Inet4Address> serverId,
                          Optional<String> hostname, String vendorClass, boolean pxe, boolean httpClient, boolean ipxe,
                          Optional<ClientArch> architecture, boolean archMalformed) {

    public DhcpRequest {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(ciaddr, "ciaddr");
        Objects.requireNonNull(giaddr, "giaddr");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(serverId, "serverId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(vendorClass, "vendorClass");
        Objects.requireNonNull(architecture, "architecture");
    }

    /** A PXE client, or a client already running iPXE. */
    public boolean bootClient() {
        return pxe || ipxe;
    }

    public boolean relayed() {
        return Ipv4.toInt(giaddr) != 0;
    }

    public boolean hasCiaddr() {
        return Ipv4.toInt(ciaddr) != 0;
    }
}
