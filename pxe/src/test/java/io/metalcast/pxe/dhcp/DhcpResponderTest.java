package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.ClientArch;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;

import static io.metalcast.pxe.dhcp.DhcpCodecTest.CONFIG;
import static io.metalcast.pxe.dhcp.Packets.MAC;
import static io.metalcast.pxe.dhcp.Packets.OTHER_MAC;
import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DhcpResponderTest {
    final TestPolicy policy = new TestPolicy(c -> TestPolicy.maasLike(c, ip("10.0.0.1")));
    final InMemoryLeasePool pool = InMemoryLeasePool.forConfig(CONFIG, Clock.systemUTC());
    final DhcpResponder responder = new DhcpResponder(CONFIG, policy, pool);

    DhcpResponder.Outcome respond(DHCPPacket p) throws DhcpDecodeException {
        return responder.respond(Packets.decode(p));
    }

    @Test
    void discoverThenRequestGivesOfferThenAck() throws Exception {
        DhcpResponder.Outcome offer = respond(Packets.discover(MAC, 1));
        assertEquals(DhcpResult.OFFER, offer.result());
        var address = offer.reply().orElseThrow().getYiaddr();
        DhcpResponder.Outcome ack = respond(Packets.request(MAC, 1, (java.net.Inet4Address) address, ip("10.0.0.1")));
        assertEquals(DhcpResult.ACK, ack.result());
        assertEquals(address, ack.reply().orElseThrow().getYiaddr());
        assertEquals(1, pool.activeLeases());
        assertTrue(policy.clients.isEmpty(), "no policy call for non-PXE clients");
    }

    @Test
    void resentDiscoverGetsTheSameAddress() throws Exception {
        var first = respond(Packets.discover(MAC, 77)).reply().orElseThrow().getYiaddr();
        var second = respond(Packets.discover(MAC, 77)).reply().orElseThrow().getYiaddr();
        assertEquals(first, second);
    }

    @Test
    void requestNamingAnotherServerIsSilentAndFreesOurOffer() throws Exception {
        var offered = (java.net.Inet4Address) respond(Packets.discover(MAC, 1)).reply().orElseThrow().getYiaddr();
        DhcpResponder.Outcome o = respond(Packets.request(MAC, 1, ip("10.0.0.150"), ip("10.0.0.2")));
        assertEquals(DhcpResult.IGNORED, o.result());
        assertTrue(o.reply().isEmpty());
        assertTrue(pool.bind(OTHER_MAC, offered, 600), "our offer was freed");
    }

    @Test
    void requestForAnAddressNotOursOrNotThisMacsIsNaked() throws Exception {
        assertEquals(DhcpResult.NAK, respond(Packets.request(MAC, 1, ip("192.168.7.7"), null)).result());
        assertEquals(DhcpResult.NAK, respond(Packets.request(MAC, 1, ip("10.0.0.7"), null)).result(), "in subnet, outside range");
        assertTrue(pool.bind(OTHER_MAC, ip("10.0.0.120"), 600));
        DhcpResponder.Outcome nak = respond(Packets.request(MAC, 1, ip("10.0.0.120"), ip("10.0.0.1")));
        assertEquals(DhcpResult.NAK, nak.result());
        assertEquals(DHCPConstants.DHCPNAK, nak.reply().orElseThrow().getDHCPMessageType());
    }

    @Test
    void renewingByCiaddrIsAcked() throws Exception {
        assertTrue(pool.bind(MAC, ip("10.0.0.130"), 600));
        DHCPPacket p = Packets.client(DHCPConstants.DHCPREQUEST, MAC, 5);
        p.setCiaddr(ip("10.0.0.130"));
        DhcpResponder.Outcome o = respond(p);
        assertEquals(DhcpResult.ACK, o.result());
        assertEquals(ip("10.0.0.130"), o.reply().orElseThrow().getCiaddr());
    }

    @Test
    void releaseFreesOnlyTheOwnersLeaseAndDeclineHoldsBack() throws Exception {
        assertTrue(pool.bind(MAC, ip("10.0.0.130"), 600));
        DHCPPacket release = Packets.client(DHCPConstants.DHCPRELEASE, OTHER_MAC, 5);
        release.setCiaddr(ip("10.0.0.130"));
        assertEquals(DhcpResult.IGNORED, respond(release).result());
        assertEquals(1, pool.activeLeases());
        release.setChaddr(java.util.Arrays.copyOf(MAC.bytes(), 16));
        assertEquals(DhcpResult.ACK, respond(release).result());
        assertEquals(0, pool.activeLeases());

        var offered = (java.net.Inet4Address) respond(Packets.discover(OTHER_MAC, 9)).reply().orElseThrow().getYiaddr();
        DHCPPacket decline = Packets.client(DHCPConstants.DHCPDECLINE, OTHER_MAC, 9);
        decline.setOptionAsInetAddress(DHCPConstants.DHO_DHCP_REQUESTED_ADDRESS, offered);
        decline.setOptionAsInetAddress(DHCPConstants.DHO_DHCP_SERVER_IDENTIFIER, ip("10.0.0.1"));
        assertEquals(DhcpResult.ACK, respond(decline).result());
        assertFalse(offered.equals(respond(Packets.discover(OTHER_MAC, 10)).reply().orElseThrow().getYiaddr()));
    }

    @Test
    void informIsAnsweredWithoutLease() throws Exception {
        DHCPPacket p = Packets.client(DHCPConstants.DHCPINFORM, MAC, 5);
        p.setCiaddr(ip("10.0.0.40"));
        DhcpResponder.Outcome o = respond(p);
        assertEquals(DhcpResult.ACK, o.result());
        assertFalse(o.reply().orElseThrow().containsOption(DHCPConstants.DHO_DHCP_LEASE_TIME));
        assertEquals(0, pool.activeLeases());
    }

    @Test
    void pxeClientIsAskedAboutWithItsArchitecture() throws Exception {
        DhcpResponder.Outcome o = respond(Packets.pxeDiscover(MAC, 3, 7));
        assertEquals(DhcpResult.OFFER, o.result());
        assertEquals("bootx64.efi", o.reply().orElseThrow().getFile());
        assertEquals(1, policy.clients.size());
        assertEquals(Optional.of(ClientArch.UEFI_X86_64), policy.clients.get(0).architecture());
        assertEquals("eth9", policy.clients.get(0).interfaceName());
        assertEquals(MAC, policy.clients.get(0).mac());
    }

    @Test
    void pxeClientWithoutPolicyAnswerGetsNothing() throws Exception {
        policy.answer = c -> Optional.empty();
        DhcpResponder.Outcome o = respond(Packets.pxeDiscover(MAC, 3, 0));
        assertEquals(DhcpResult.IGNORED, o.result());
        assertTrue(o.reply().isEmpty());
        assertEquals(0, pool.activeLeases());
    }

    @Test
    void malformedArchitectureGetsNoBootFileAndNoPolicyCall() throws Exception {
        DHCPPacket p = Packets.pxeDiscover(MAC, 3, 0);
        p.setOptionRaw((byte) 93, new byte[] {0});
        DhcpResponder.Outcome o = respond(p);
        assertTrue(o.reply().isEmpty());
        assertTrue(policy.clients.isEmpty());
    }

    @Test
    void failingPolicyIsCountedAsDropped() throws Exception {
        policy.answer = c -> {
            throw new IllegalStateException("database down");
        };
        assertEquals(DhcpResult.DROPPED, respond(Packets.pxeDiscover(MAC, 3, 0)).result());
    }

    @Test
    void relayFromAnotherSubnetIsIgnored() throws Exception {
        DHCPPacket p = Packets.discover(MAC, 3);
        p.setGiaddr(ip("172.16.0.1"));
        assertEquals(DhcpResult.IGNORED, respond(p).result());
        p.setGiaddr(ip("10.0.0.9"));
        assertEquals(DhcpResult.OFFER, respond(p).result());
    }

    @Test
    void ipxeUserClassAloneMakesABootClient() throws Exception {
        DHCPPacket p = Packets.discover(MAC, 3);
        p.setOptionRaw(DHCPConstants.DHO_USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        DhcpResponder.Outcome o = respond(p);
        assertEquals("http://10.0.0.1:5248/ipxe.cfg", o.reply().orElseThrow().getFile());
        assertTrue(policy.clients.get(0).ipxe());
    }
}
