package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.DhcpBoot;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/** Builds the server's replies as dhcp4java packets, and says where each one goes. No state, no policy. */
public final class DhcpReplies {
    /** The BOOTP file field is 128 bytes including its terminating NUL. */
    static final int FILE_FIELD_MAX = 127;
    /** The most that fits in one option 67 instance; we do not split options (RFC 3396). */
    static final int OPTION_MAX = 255;
    static final byte OPTION_CLIENT_ARCH = 93;
    static final byte OPTION_IPXE_ENCAP = (byte) 175;
    static final byte IPXE_NO_PXEDHCP = (byte) 176;
    static final byte OPTION_VENDOR_SPECIFIC = 43;
    /**
     * PXE vendor options (PXE 2.1, option 43): sub-option 6 PXE_DISCOVERY_CONTROL with bit 3 set, "a boot file is in
     * this offer: download it, no boot server discovery", then END. Without it UEFI firmware (EDK2/OVMF) takes the offer
     * for a BINL one and asks port 4011 instead of fetching the boot file.
     */
    static final byte[] PXE_USE_BOOT_FILE = {6, 1, 8, (byte) 255};
    private static final Inet4Address ZERO = Ipv4.fromInt(0);
    private static final Inet4Address BROADCAST = Ipv4.fromInt(-1);

    private DhcpReplies() {
    }

    /** True when the boot file can be sent: in the file field, or in option 67. */
    public static boolean bootFileFits(DhcpBoot boot) {
        return boot.bootFile().getBytes(StandardCharsets.UTF_8).length <= OPTION_MAX;
    }

    /** DHCPOFFER of {@code address}, with boot fields when {@code boot} is present. */
    public static DHCPPacket offer(DhcpRequest request, DhcpConfig config, Inet4Address address, Optional<DhcpBoot> boot) {
        DHCPPacket p = base(request, config, DHCPConstants.DHCPOFFER);
        p.setYiaddr(address);
        leaseOptions(p, config, true);
        bootFields(p, request, config, boot);
        return p;
    }

    /** DHCPACK of {@code address} for a REQUEST. */
    public static DHCPPacket ack(DhcpRequest request, DhcpConfig config, Inet4Address address, Optional<DhcpBoot> boot) {
        DHCPPacket p = base(request, config, DHCPConstants.DHCPACK);
        p.setCiaddr(request.ciaddr());
        p.setYiaddr(address);
        leaseOptions(p, config, true);
        bootFields(p, request, config, boot);
        return p;
    }

    /** DHCPACK for an INFORM: configuration only, no address, no lease time (RFC 2131 §4.3.5). */
    public static DHCPPacket informAck(DhcpRequest request, DhcpConfig config) {
        DHCPPacket p = base(request, config, DHCPConstants.DHCPACK);
        p.setCiaddr(request.ciaddr());
        leaseOptions(p, config, false);
        return p;
    }

    /** DHCPNAK: only message type and server identifier. */
    public static DHCPPacket nak(DhcpRequest request, DhcpConfig config) {
        DHCPPacket p = base(request, config, DHCPConstants.DHCPNAK);
        p.setSiaddr(ZERO);
        if (request.relayed()) {
            // A relay must broadcast a NAK to the client, which may believe in an address that is not valid there.
            p.setFlags((short) (request.flags() | 0x8000));
        }
        return p;
    }

    /**
     * Where a reply goes: to the relay when relayed, broadcast for NAKs, to ciaddr when the client has an address,
     * else broadcast on the interface (we cannot unicast to an address the client does not have yet without ARP).
     */
    public static InetSocketAddress destination(DhcpRequest request, DHCPPacket reply, DhcpConfig config) {
        if (request.relayed()) {
            return new InetSocketAddress(request.giaddr(), config.serverPort());
        }
        if (reply.getDHCPMessageType() != DHCPConstants.DHCPNAK && request.hasCiaddr()) {
            return new InetSocketAddress(request.ciaddr(), config.clientPort());
        }
        return new InetSocketAddress(BROADCAST, config.clientPort());
    }

    private static DHCPPacket base(DhcpRequest request, DhcpConfig config, byte type) {
        DHCPPacket p = new DHCPPacket();
        p.setOp(DHCPConstants.BOOTREPLY);
        p.setHtype(DHCPConstants.HTYPE_ETHER);
        p.setHlen((byte) 6);
        p.setHops((byte) 0);
        p.setXid(request.xid());
        p.setSecs((short) 0);
        p.setFlags(request.flags());
        p.setCiaddr(ZERO);
        p.setYiaddr(ZERO);
        p.setSiaddr(config.serverAddress());
        p.setGiaddr(request.giaddr());
        p.setChaddr(Arrays.copyOf(request.mac().bytes(), 16));
        p.setDhcp(true);
        p.setDHCPMessageType(type);
        p.setOptionAsInetAddress(DHCPConstants.DHO_DHCP_SERVER_IDENTIFIER, config.serverAddress());
        return p;
    }

    private static void leaseOptions(DHCPPacket p, DhcpConfig config, boolean withLease) {
        if (withLease) {
            int lease = config.leaseSeconds();
            p.setOptionAsInt(DHCPConstants.DHO_DHCP_LEASE_TIME, lease);
            p.setOptionAsInt(DHCPConstants.DHO_DHCP_RENEWAL_TIME, lease / 2);
            p.setOptionAsInt(DHCPConstants.DHO_DHCP_REBINDING_TIME, (int) (lease * 7L / 8));
        }
        p.setOptionAsInetAddress(DHCPConstants.DHO_SUBNET_MASK, config.netmask());
        config.router().ifPresent(r -> p.setOptionAsInetAddress(DHCPConstants.DHO_ROUTERS, r));
        if (!config.dnsServers().isEmpty()) {
            p.setOptionAsInetAddresses(DHCPConstants.DHO_DOMAIN_NAME_SERVERS, config.dnsServers().toArray(new Inet4Address[0]));
        }
    }

    private static void bootFields(DHCPPacket p, DhcpRequest request, DhcpConfig config, Optional<DhcpBoot> boot) {
        if (boot.isEmpty()) {
            return;
        }
        DhcpBoot b = boot.get();
        if (DhcpCodec.validHostname(b.hostname())) {
            p.setOptionAsString(DHCPConstants.DHO_HOST_NAME, b.hostname());
        }
        p.setSiaddr(b.nextServer());
        byte[] file = b.bootFile().getBytes(StandardCharsets.UTF_8);
        if (file.length <= FILE_FIELD_MAX) {
            p.setFileRaw(Arrays.copyOf(file, 128));
        } else {
            // Long URLs do not fit the file field: option 67 carries them, the field stays empty.
            p.setOptionRaw(DHCPConstants.DHO_BOOTFILE, file);
        }
        p.setOptionAsString(DHCPConstants.DHO_TFTP_SERVER, Ipv4.text(b.nextServer()));
        boolean httpBoot = request.httpClient() || request.architecture().map(a -> a.httpBoot()).orElse(false);
        if (httpBoot) {
            p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, "HTTPClient");
        } else if (request.pxe()) {
            p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, "PXEClient");
            if (!request.ipxe()) {
                p.setOptionRaw(OPTION_VENDOR_SPECIFIC, PXE_USE_BOOT_FILE);
            }
        }
        if (request.ipxe()) {
            // iPXE encapsulated options: no-pxedhcp = 1, so iPXE does not wait for a proxyDHCP answer.
            p.setOptionRaw(OPTION_IPXE_ENCAP, new byte[] {IPXE_NO_PXEDHCP, 1, 1});
        }
    }
}
