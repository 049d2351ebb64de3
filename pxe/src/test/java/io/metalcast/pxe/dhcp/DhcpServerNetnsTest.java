package io.metalcast.pxe.dhcp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.metalcast.pxe.dhcp.Packets.MAC;
import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server on a real interface. Two veth pairs: {@code <id>s} (root namespace, the server's interface) with its peer
 * {@code <id>c} in namespace {@code <id>a}, and {@code <id>t} (root namespace, NOT configured) with its peer {@code <id>d}
 * in namespace {@code <id>b}. Client packets come from {@link NetnsProbe} processes in the namespaces, and from busybox
 * udhcpc for the real-client test. Needs root and iproute2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DhcpServerNetnsTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final String ID = "mcd" + PID;
    private static final String NS_A = ID + "a";
    private static final String NS_B = ID + "b";
    private static final String SERVER_IF = ID + "s";
    private static final String CLIENT_IF = ID + "c";
    private static final String OTHER_IF = ID + "t";
    private static final String OTHER_CLIENT_IF = ID + "d";
    /** Carrier-grade NAT space, one /24 per pair, derived from the pid so parallel runs do not collide. */
    private static final String NET_A = "100." + (64 + PID % 60) + "." + (PID / 60 % 127 * 2) + ".";
    private static final String NET_B = "100." + (64 + PID % 60) + "." + (PID / 60 % 127 * 2 + 1) + ".";
    private static final int SERVER_PORT = 20_000 + (int) (PID % 20_000) / 2 * 2;
    private static final int CLIENT_PORT = SERVER_PORT + 1;
    private static final int CONTROL_PORT = SERVER_PORT + 2;

    private final AtomicInteger xids = new AtomicInteger((int) (PID << 12));
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private boolean created;
    private ExecutorService blocking;
    private SimpleMeterRegistry registry;
    private TestPolicy policy;
    private DhcpConfig config;
    private DhcpServer server;
    private Netns.Probe probe;
    private Netns.Probe otherProbe;

    @BeforeAll
    void setUp() throws Exception {
        Assumptions.assumeTrue(Netns.usable(), "needs root and iproute2");
        created = true;
        Netns.run("ip", "netns", "add", NS_A);
        Netns.run("ip", "netns", "add", NS_B);
        Netns.run("ip", "link", "add", SERVER_IF, "type", "veth", "peer", "name", CLIENT_IF, "netns", NS_A);
        Netns.run("ip", "link", "add", OTHER_IF, "type", "veth", "peer", "name", OTHER_CLIENT_IF, "netns", NS_B);
        Netns.run("ip", "addr", "add", NET_A + "1/24", "dev", SERVER_IF);
        Netns.run("ip", "addr", "add", NET_B + "1/24", "dev", OTHER_IF);
        Netns.run("ip", "link", "set", SERVER_IF, "up");
        Netns.run("ip", "link", "set", OTHER_IF, "up");
        for (String[] nsIf : new String[][] {{NS_A, CLIENT_IF, NET_A}, {NS_B, OTHER_CLIENT_IF, NET_B}}) {
            Netns.run("ip", "-n", nsIf[0], "link", "set", "lo", "up");
            Netns.run("ip", "-n", nsIf[0], "addr", "add", nsIf[2] + "250/24", "dev", nsIf[1]);
            Netns.run("ip", "-n", nsIf[0], "link", "set", nsIf[1], "up");
            // So that 255.255.255.255 has a way out of the namespace.
            Netns.run("ip", "-n", nsIf[0], "route", "add", "default", "dev", nsIf[1]);
        }
        blocking = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-blocking");
            t.setDaemon(true);
            return t;
        });
        registry = new SimpleMeterRegistry();
        policy = new TestPolicy(c -> TestPolicy.maasLike(c, ip(NET_A + "1")));
        config = new DhcpConfig(SERVER_IF, ip(NET_A + "1"), ip(NET_A + "0"), 24, ip(NET_A + "100"), ip(NET_A + "199"),
                Optional.of(ip(NET_A + "1")), List.of(ip(NET_A + "1")), 600, SERVER_PORT, CLIENT_PORT);
        server = new DhcpServer(config, policy, blocking, registry);
        server.start();
        probe = new Netns.Probe(NS_A, CLIENT_PORT);
        otherProbe = new Netns.Probe(NS_B, CLIENT_PORT);
    }

    @AfterAll
    void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {probe, otherProbe, server}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("close: " + e);
                }
            }
        }
        if (blocking != null) {
            blocking.shutdownNow();
        }
        if (created) {
            // Deleting a namespace deletes the veth peers in it, and with them our ends; delete our ends too in case.
            Netns.tryRun("ip", "netns", "del", NS_A);
            Netns.tryRun("ip", "netns", "del", NS_B);
            Netns.tryRun("ip", "link", "del", SERVER_IF);
            Netns.tryRun("ip", "link", "del", OTHER_IF);
        }
    }

    int xid() {
        return xids.incrementAndGet();
    }

    Optional<byte[]> exchange(Netns.Probe via, DHCPPacket request, long timeoutMillis) throws Exception {
        return exchange(via, request.serialize(), request.getXid(), timeoutMillis);
    }

    Optional<byte[]> exchange(Netns.Probe via, byte[] bytes, int xid, long timeoutMillis) throws Exception {
        via.send(SERVER_PORT, bytes);
        return via.receive(b -> b.length >= 8 && b[0] == 2 && Ipv4.toInt(b, 4) == xid, timeoutMillis);
    }

    byte[] offerFor(DHCPPacket discover) throws Exception {
        byte[] reply = exchange(probe, discover, 5000).orElseThrow(() -> new AssertionError("no OFFER"));
        assertEquals(DHCPConstants.DHCPOFFER, Packets.messageType(reply));
        return reply;
    }

    /** After every bad packet: the server still answers a normal DISCOVER. */
    void assertStillServing() throws Exception {
        offerFor(Packets.discover(Packets.OTHER_MAC, xid()));
    }

    double count(String type, String result) {
        return registry.get("dhcp.packets").tag("type", type).tag("result", result).counter().count();
    }

    @Test
    void socketIsBoundToTheInterface() {
        assertEquals(new InetSocketAddress(ip("0.0.0.0"), SERVER_PORT), server.localAddress());
    }

    @Test
    void discoverOfferRequestAck() throws Exception {
        DHCPPacket discover = Packets.discover(MAC, xid());
        discover.setFlags((short) 0x8000);
        byte[] offer = offerFor(discover);
        Inet4Address address = Packets.addressAt(offer, 16);
        assertTrue(config.inSubnet(address));
        assertEquals((byte) 0x80, offer[10], "flags echoed");
        assertArrayEquals(MAC.bytes(), Arrays.copyOfRange(offer, 28, 34));
        assertArrayEquals(ip(NET_A + "1").getAddress(), Packets.options(offer).get(54));

        DHCPPacket request = Packets.request(MAC, discover.getXid(), address, ip(NET_A + "1"));
        byte[] ack = exchange(probe, request, 5000).orElseThrow(() -> new AssertionError("no ACK"));
        assertEquals(DHCPConstants.DHCPACK, Packets.messageType(ack));
        assertEquals(address, Packets.addressAt(ack, 16));
        assertEquals(600, Ipv4.toInt(Packets.options(ack).get(51), 0));
        assertTrue(registry.get("dhcp.leases.active").gauge().value() >= 1);
        assertTrue(count("request", "ack") >= 1);
    }

    @Test
    void resentDiscoverWithSameXidGetsSameAddress() throws Exception {
        int xid = xid();
        byte[] first = offerFor(Packets.discover(Packets.mac(1), xid));
        byte[] second = offerFor(Packets.discover(Packets.mac(1), xid));
        assertEquals(Packets.addressAt(first, 16), Packets.addressAt(second, 16));
    }

    @Test
    void requestNamingAnotherServerGetsSilence() throws Exception {
        byte[] offer = offerFor(Packets.discover(Packets.mac(2), xid()));
        DHCPPacket request = Packets.request(Packets.mac(2), xid(), Packets.addressAt(offer, 16), ip(NET_A + "2"));
        assertEquals(Optional.empty(), exchange(probe, request, 700));
        assertStillServing();
    }

    @Test
    void requestForAnotherSubnetIsNaked() throws Exception {
        byte[] nak = exchange(probe, Packets.request(Packets.mac(3), xid(), ip("192.0.2.7"), null), 5000).orElseThrow();
        assertEquals(DHCPConstants.DHCPNAK, Packets.messageType(nak));
    }

    static Stream<Arguments> badPackets() {
        Stream<Arguments> codec = DhcpCodecTest.malformed().filter(a -> ((byte[]) a.get()[1]).length > 0);
        DHCPPacket garbageHost = Packets.discover(Packets.mac(4), 0x51);
        garbageHost.setOptionRaw(DHCPConstants.DHO_HOST_NAME, "x\n$(reboot);\0".getBytes(StandardCharsets.ISO_8859_1));
        return Stream.concat(codec, Stream.of(Arguments.of("hostname garbage (answered, option dropped)", garbageHost.serialize())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPackets")
    void badPacketDoesNotStopTheServer(String name, byte[] bytes) throws Exception {
        probe.send(SERVER_PORT, bytes);
        assertStillServing();
    }

    @Test
    void malformedPacketsAreCounted() throws Exception {
        double before = count("other", "malformed");
        probe.send(SERVER_PORT, Arrays.copyOf(Packets.discover(MAC, 1).serialize(), 200));
        assertStillServing();
        assertEquals(before + 1, count("other", "malformed"));
    }

    @Test
    void ipxeClientGetsScriptUrlAndNoPxeDhcp() throws Exception {
        DHCPPacket d = Packets.pxeDiscover(Packets.mac(5), xid(), 7);
        d.setOptionRaw(DHCPConstants.DHO_USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        int calls = policy.threads.size();
        byte[] offer = offerFor(d);
        assertEquals("http://" + NET_A + "1:5248/ipxe.cfg", Packets.fileField(offer));
        assertArrayEquals(new byte[] {(byte) 176, 1, 1}, Packets.options(offer).get(175));
        assertEquals("PXEClient", Packets.text(Packets.options(offer).get(60)));
        assertEquals(ip(NET_A + "1"), Packets.addressAt(offer, 20));
        assertEquals("test-blocking", policy.threads.get(calls), "the policy runs on the blocking executor");
    }

    @Test
    void pxeClientWithMalformedArchitectureGetsNoBootFile() throws Exception {
        DHCPPacket d = Packets.pxeDiscover(Packets.mac(6), xid(), 0);
        d.setOptionRaw((byte) 93, new byte[] {0, 0, 7});
        assertEquals(Optional.empty(), exchange(probe, d, 700));
        assertStillServing();
    }

    @Test
    void pxeClientThePolicyDoesNotKnowGetsNothing() throws Exception {
        DHCPPacket d = Packets.pxeDiscover(Packets.mac(7), xid(), 0x1234); // architecture the policy has no file for
        assertEquals(Optional.empty(), exchange(probe, d, 700));
        assertStillServing();
    }

    @Test
    void unconfiguredInterfaceGetsNoAnswer() throws Exception {
        // Control: the same kind of broadcast from the other namespace does reach a socket that is not bound to a device.
        try (DatagramSocket control = new DatagramSocket(null)) {
            control.setReuseAddress(true);
            control.bind(new InetSocketAddress("0.0.0.0", CONTROL_PORT));
            control.setSoTimeout(5000);
            otherProbe.send(CONTROL_PORT, Packets.discover(MAC, 1).serialize());
            DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
            try {
                control.receive(p);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("control packet from " + NS_B + " did not arrive: the test would prove nothing", e);
            }
        }
        double discovers = registry.get("dhcp.packets").tag("type", "discover").counters().stream().mapToDouble(c -> c.count()).sum();
        assertEquals(Optional.empty(), exchange(otherProbe, Packets.discover(Packets.mac(8), xid()), 1000));
        assertEquals(discovers, registry.get("dhcp.packets").tag("type", "discover").counters().stream().mapToDouble(c -> c.count()).sum(),
                "the server never saw the packet");
    }

    @Test
    void missingInterfaceFailsToStart() {
        DhcpConfig bad = new DhcpConfig(ID + "x", config.serverAddress(), config.subnet(), 24, config.rangeStart(), config.rangeEnd(),
                Optional.empty(), List.of(), 600, SERVER_PORT + 4, SERVER_PORT + 5);
        try (DhcpServer s = new DhcpServer(bad, policy, blocking, new SimpleMeterRegistry())) {
            DhcpBindException e = assertThrows(DhcpBindException.class, s::start);
            assertTrue(e.getMessage().contains(ID + "x"), e.getMessage());
        }
    }

    @Test
    void realUdhcpcClientGetsALeaseAndBootFile() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")) || Files.isExecutable(Path.of("/bin/busybox")), "needs busybox");
        // udhcpc speaks 67/68 only: a second server on port 67, bound to the same interface (so no clash with other servers).
        DhcpConfig standard = config.withPorts(67, 68);
        try (DhcpServer s67 = new DhcpServer(standard, policy, blocking, new SimpleMeterRegistry())) {
            try {
                s67.start();
            } catch (DhcpBindException e) {
                Assumptions.abort("port 67 is taken on this host: " + e.getMessage());
            }
            Path dir = Files.createTempDirectory("mcd-udhcpc");
            try {
                Path script = dir.resolve("script.sh");
                Files.writeString(script, "#!/bin/sh\nenv > " + dir + "/$1.env\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
                String out = Netns.run("ip", "netns", "exec", NS_A, "busybox", "udhcpc", "-i", CLIENT_IF, "-f", "-q", "-n",
                        "-t", "3", "-T", "2", "-s", script.toString(), "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000");
                assertTrue(out.contains("obtained from " + NET_A + "1"), out);
                String bound = Files.readString(dir.resolve("bound.env"));
                assertTrue(bound.contains("ip=" + NET_A), bound);
                assertTrue(bound.contains("boot_file=lpxelinux.0"), bound);
                assertTrue(bound.contains("siaddr=" + NET_A + "1"), bound);
                assertTrue(bound.contains("subnet=255.255.255.0"), bound);
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
                }
            }
        }
    }
}
