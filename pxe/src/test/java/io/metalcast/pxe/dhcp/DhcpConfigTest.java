package io.metalcast.pxe.dhcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DhcpConfigTest {

    @ParameterizedTest(name = "{9}")
    @CsvSource(delimiter = '|', value = {
            "eth0|10.0.0.1|10.0.0.0|24|10.0.1.5|10.0.0.9|600|67|68|dhcp.range: 10.0.1.5-10.0.0.9 (expected: start <= end inside 10.0.0.0/24)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.9|10.0.0.5|600|67|68|dhcp.range: 10.0.0.9-10.0.0.5 (expected: start <= end inside 10.0.0.0/24)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.0|10.0.0.5|600|67|68|dhcp.range: 10.0.0.0-10.0.0.5 (expected: start <= end inside 10.0.0.0/24)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.255|600|67|68|dhcp.range: 10.0.0.5-10.0.0.255 (expected: start <= end inside 10.0.0.0/24)",
            "eth0|10.0.0.1|10.0.0.1|24|10.0.0.5|10.0.0.9|600|67|68|dhcp.subnet: 10.0.0.1/24 (expected: a network address, host bits zero)",
            "eth0|10.0.0.1|10.0.0.0|31|10.0.0.0|10.0.0.1|600|67|68|dhcp.prefix_length: 31 (expected: 1..30)",
            "eth0|10.9.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|600|67|68|dhcp.server_address: 10.9.0.1 (expected: an address inside 10.0.0.0/24)",
            "''|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|600|67|68|dhcp.interface: '' (expected: a Linux interface name of 1..15 characters)",
            "averyveryverylongname|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|600|67|68|dhcp.interface: 'averyveryverylongname' (expected: a Linux interface name of 1..15 characters)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|10|67|68|dhcp.lease_seconds: 10 (expected: 60..31536000)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|600|0|68|dhcp.server_port: 0 (expected: 1..65535)",
            "eth0|10.0.0.1|10.0.0.0|24|10.0.0.5|10.0.0.9|600|67|67|dhcp.client_port: 67 (expected: 1..65535, not the server port)"})
    void invalidConfigurationSaysWhatWasExpected(String ifname, String server, String subnet, int prefix, String start, String end,
                                                 int lease, int serverPort, int clientPort, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DhcpConfig(ifname, ip(server), ip(subnet),
                prefix, ip(start), ip(end), Optional.empty(), List.of(), lease, serverPort, clientPort));
        assertEquals(message, e.getMessage());
    }

    @Test
    void routerOutsideSubnetIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DhcpConfig.of("eth0", ip("10.0.0.1"),
                ip("10.0.0.0"), 24, ip("10.0.0.5"), ip("10.0.0.9"), Optional.of(ip("10.1.0.1")), List.of()));
        assertEquals("dhcp.router: 10.1.0.1 (expected: an address inside 10.0.0.0/24)", e.getMessage());
    }

    @Test
    void factoryUsesStandardPortsAndLease() {
        DhcpConfig c = DhcpConfig.of("eth0", ip("10.0.0.1"), ip("10.0.0.0"), 22, ip("10.0.0.5"), ip("10.0.3.9"), Optional.empty(), List.of());
        assertEquals(600, c.leaseSeconds());
        assertEquals(67, c.serverPort());
        assertEquals(68, c.clientPort());
        assertEquals(ip("255.255.252.0"), c.netmask());
        DhcpConfig high = c.withPorts(1067, 1068);
        assertEquals(1067, high.serverPort());
        assertEquals(1068, high.clientPort());
        assertEquals(c.rangeEnd(), high.rangeEnd());
    }
}
