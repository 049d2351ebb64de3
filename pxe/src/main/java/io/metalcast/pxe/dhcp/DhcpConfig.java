package io.metalcast.pxe.dhcp;

import java.net.Inet4Address;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the DHCP server serves, on which interface.
 *
 * @param interfaceName the one interface the server listens and answers on (SO_BINDTODEVICE)
 * @param serverAddress our address on that interface: server identifier (option 54) and next-server of plain answers
 * @param subnet        the network address of the served subnet
 * @param prefixLength  its prefix length, 1..30
 * @param rangeStart    first address handed out, inside the subnet
 * @param rangeEnd      last address handed out, inside the subnet, not before {@code rangeStart}
 * @param router        option 3, when set
 * @param dnsServers    option 6, when not empty
 * @param leaseSeconds  lease time (option 51), 60..31536000
 * @param serverPort    UDP port we listen on (67; relays are answered on it too)
 * @param clientPort    UDP port clients listen on (68)
 */
public record DhcpConfig(String interfaceName, Inet4Address serverAddress, Inet4Address subnet, int prefixLength,
                         Inet4Address rangeStart, Inet4Address rangeEnd, Optional<Inet4Address> router,
                         List<Inet4Address> dnsServers, int leaseSeconds, int serverPort, int clientPort) {

    public static final int DEFAULT_LEASE_SECONDS = 600;

    public DhcpConfig {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(serverAddress, "serverAddress");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(rangeStart, "rangeStart");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(dnsServers, "dnsServers");
        dnsServers = List.copyOf(dnsServers);
        // Linux IFNAMSIZ is 16 including the NUL.
        if (interfaceName.isEmpty() || interfaceName.length() > 15 || !interfaceName.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '/')) {
            throw new IllegalArgumentException("dhcp.interface: '" + interfaceName + "' (expected: a Linux interface name of 1..15 characters)");
        }
        if (prefixLength < 1 || prefixLength > 30) {
            throw new IllegalArgumentException("dhcp.prefix_length: " + prefixLength + " (expected: 1..30)");
        }
        String cidr = Ipv4.text(subnet) + "/" + prefixLength;
        if (Ipv4.network(Ipv4.toInt(subnet), prefixLength) != Ipv4.toInt(subnet)) {
            throw new IllegalArgumentException("dhcp.subnet: " + cidr + " (expected: a network address, host bits zero)");
        }
        int start = Ipv4.toInt(rangeStart);
        int end = Ipv4.toInt(rangeEnd);
        if (!Ipv4.inside(start, subnet, prefixLength) || !Ipv4.inside(end, subnet, prefixLength)
                || Integer.compareUnsigned(start, end) > 0 || start == Ipv4.toInt(subnet) || end == Ipv4.broadcast(subnet, prefixLength)) {
            throw new IllegalArgumentException("dhcp.range: " + Ipv4.text(rangeStart) + "-" + Ipv4.text(rangeEnd)
                    + " (expected: start <= end inside " + cidr + ")");
        }
        if (!Ipv4.inside(Ipv4.toInt(serverAddress), subnet, prefixLength)) {
            throw new IllegalArgumentException("dhcp.server_address: " + Ipv4.text(serverAddress) + " (expected: an address inside " + cidr + ")");
        }
        if (router.isPresent() && !Ipv4.inside(Ipv4.toInt(router.get()), subnet, prefixLength)) {
            throw new IllegalArgumentException("dhcp.router: " + Ipv4.text(router.get()) + " (expected: an address inside " + cidr + ")");
        }
        if (dnsServers.size() > 16) {
            throw new IllegalArgumentException("dhcp.dns_servers: " + dnsServers.size() + " entries (expected: 0..16)");
        }
        if (leaseSeconds < 60 || leaseSeconds > 31_536_000) {
            throw new IllegalArgumentException("dhcp.lease_seconds: " + leaseSeconds + " (expected: 60..31536000)");
        }
        if (serverPort < 1 || serverPort > 65535) {
            throw new IllegalArgumentException("dhcp.server_port: " + serverPort + " (expected: 1..65535)");
        }
        if (clientPort < 1 || clientPort > 65535 || clientPort == serverPort) {
            throw new IllegalArgumentException("dhcp.client_port: " + clientPort + " (expected: 1..65535, not the server port)");
        }
    }

    /** The usual configuration: ports 67/68, lease of {@value #DEFAULT_LEASE_SECONDS} seconds. */
    public static DhcpConfig of(String interfaceName, Inet4Address serverAddress, Inet4Address subnet, int prefixLength,
                                Inet4Address rangeStart, Inet4Address rangeEnd, Optional<Inet4Address> router,
                                List<Inet4Address> dnsServers) {
        return new DhcpConfig(interfaceName, serverAddress, subnet, prefixLength, rangeStart, rangeEnd, router, dnsServers,
                DEFAULT_LEASE_SECONDS, 67, 68);
    }

    /** A copy listening on other ports (tests use high ports). */
    public DhcpConfig withPorts(int newServerPort, int newClientPort) {
        return new DhcpConfig(interfaceName, serverAddress, subnet, prefixLength, rangeStart, rangeEnd, router, dnsServers,
                leaseSeconds, newServerPort, newClientPort);
    }

    /** The subnet mask (option 1). */
    public Inet4Address netmask() {
        return Ipv4.fromInt(prefixLength == 0 ? 0 : -1 << (32 - prefixLength));
    }

    /** True when the address lies inside the served subnet. */
    public boolean inSubnet(Inet4Address address) {
        return Ipv4.inside(Ipv4.toInt(address), subnet, prefixLength);
    }
}
