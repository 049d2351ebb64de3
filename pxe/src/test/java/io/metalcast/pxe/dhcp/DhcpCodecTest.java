package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.DhcpBoot;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.metalcast.pxe.dhcp.Packets.MAC;
import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DhcpCodecTest {
    static final DhcpConfig CONFIG = new DhcpConfig("eth9", ip("10.0.0.1"), ip("10.0.0.0"), 24, ip("10.0.0.100"),
            ip("10.0.0.199"), Optional.of(ip("10.0.0.254")), List.of(ip("10.0.0.53"), ip("10.0.0.54")), 600, 67, 68);

    /** A valid DISCOVER as bytes, with its options region at 240 = 53, then END, then padding. */
    static byte[] validDiscover() {
        return Packets.discover(MAC, 0x1234).serialize();
    }

    /** Replaces everything after the magic cookie with the given option bytes. */
    static byte[] withOptions(int... options) {
        byte[] head = Arrays.copyOf(validDiscover(), 240);
        byte[] out = Arrays.copyOf(head, 240 + options.length);
        for (int i = 0; i < options.length; i++) {
            out[240 + i] = (byte) options[i];
        }
        return out;
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("empty", new byte[0]),
                Arguments.of("100 bytes", Arrays.copyOf(validDiscover(), 100)),
                Arguments.of("235 bytes", Arrays.copyOf(validDiscover(), 235)),
                Arguments.of("239 bytes", Arrays.copyOf(validDiscover(), 239)),
                Arguments.of("header only, no cookie", Arrays.copyOf(validDiscover(), 236)),
                Arguments.of("no magic cookie (BOOTP)", mutate(validDiscover(), b -> { b[236] = 0; return b; })),
                Arguments.of("over 1500 bytes", Arrays.copyOf(validDiscover(), 1501)),
                Arguments.of("option length past the end", withOptions(53, 1, 1, 12, 200, 'a', 'b')),
                Arguments.of("length byte missing", withOptions(53, 1, 1, 12)),
                Arguments.of("no END option", withOptions(53, 1, 1, 0, 0, 0)),
                Arguments.of("no option 53", withOptions(12, 1, 'a', 255)),
                Arguments.of("option 53 empty", withOptions(53, 0, 255)),
                Arguments.of("option 53 twice", withOptions(53, 1, 1, 53, 1, 3, 255)),
                Arguments.of("option repeated", withOptions(53, 1, 1, 12, 1, 'a', 12, 1, 'b', 255)),
                Arguments.of("client id length 0 (D2)", withOptions(53, 1, 1, 61, 0, 255)),
                Arguments.of("client id length 1 (D2)", withOptions(53, 1, 1, 61, 1, 1, 255)),
                Arguments.of("requested address of 3 bytes", withOptions(53, 1, 1, 50, 3, 10, 0, 0, 255)),
                Arguments.of("server id of 5 bytes", withOptions(53, 1, 3, 54, 5, 10, 0, 0, 1, 1, 255)),
                Arguments.of("op 3", mutate(validDiscover(), b -> { b[0] = 3; return b; })),
                Arguments.of("htype 6 (token ring)", mutate(validDiscover(), b -> { b[1] = 6; return b; })),
                Arguments.of("hlen 16", mutate(validDiscover(), b -> { b[2] = 16; return b; })));
    }

    static byte[] mutate(byte[] b, UnaryOperator<byte[]> f) {
        return f.apply(b);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedPacketsAreRefusedByType(String name, byte[] bytes) {
        assertThrows(DhcpDecodeException.class, () -> DhcpCodec.decode(bytes));
    }

    @Test
    void clientIdOf255BytesIsAccepted() throws Exception {
        int[] opts = new int[3 + 2 + 255 + 1];
        opts[0] = 53; opts[1] = 1; opts[2] = 1; opts[3] = 61; opts[4] = 255;
        Arrays.fill(opts, 5, 5 + 255, 7);
        opts[opts.length - 1] = 255;
        assertEquals(MessageType.DISCOVER, DhcpCodec.decode(withOptions(opts)).type());
    }

    /** A DISCOVER captured from busybox udhcpc 1.35 ({@code -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 -x hostname:node-7}). */
    @Test
    void decodesCapturedUdhcpcPxeDiscover() throws Exception {
        byte[] bytes;
        try (var in = DhcpCodecTest.class.getResourceAsStream("/dhcp/udhcpc-pxe-discover.hex")) {
            bytes = java.util.HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
        }
        DhcpRequest r = DhcpCodec.decode(bytes);
        assertEquals(MessageType.DISCOVER, r.type());
        assertEquals(Packets.MAC, r.mac());
        assertEquals(0x3074d53c, r.xid());
        assertTrue(r.pxe());
        assertFalse(r.ipxe());
        assertEquals(Optional.of(ClientArch.BIOS_X86), r.architecture());
        assertEquals("PXEClient:Arch:00000:UNDI:002001", r.vendorClass());
        assertEquals(Optional.of("node-7"), r.hostname());
        assertEquals(Optional.empty(), r.serverId());
    }

    @Test
    void decodesHeaderAndOptions() throws Exception {
        DHCPPacket p = Packets.request(MAC, 0xcafe, ip("10.0.0.150"), ip("10.0.0.1"));
        p.setFlags((short) 0x8000);
        p.setGiaddr(ip("10.0.0.7"));
        p.setOptionAsString(DHCPConstants.DHO_HOST_NAME, "node-1");
        DhcpRequest r = Packets.decode(p);
        assertEquals(1, r.op());
        assertEquals(MessageType.REQUEST, r.type());
        assertEquals(0xcafe, r.xid());
        assertEquals((short) 0x8000, r.flags());
        assertEquals(MAC, r.mac());
        assertEquals(Optional.of(ip("10.0.0.150")), r.requested());
        assertEquals(Optional.of(ip("10.0.0.1")), r.serverId());
        assertEquals(ip("10.0.0.7"), r.giaddr());
        assertEquals(Optional.of("node-1"), r.hostname());
        assertFalse(r.bootClient());
    }

    @ParameterizedTest(name = "hostname {0}")
    @CsvSource(delimiter = '|', value = {
            "node-1|node-1", "node-1.lab.example|node-1.lab.example", "a|a", "trailing.|trailing",
            "bad_name|", "-lead|", "trail-|", "a..b|", "$(reboot)|", "x;y|", "q\"uoted|", ".|"})
    void hostnameGarbageIsDropped(String sent, String expected) throws Exception {
        DHCPPacket p = Packets.discover(MAC, 1);
        p.setOptionAsString(DHCPConstants.DHO_HOST_NAME, sent);
        assertEquals(Optional.ofNullable(expected), Packets.decode(p).hostname());
    }

    @ParameterizedTest(name = "hostname of {0} bytes")
    @ValueSource(ints = {0, 64, 254})
    void hostnameEmptyOrTooLongIsDropped(int length) throws Exception {
        DHCPPacket p = Packets.discover(MAC, 1);
        p.setOptionRaw(DHCPConstants.DHO_HOST_NAME, "a".repeat(length).getBytes(StandardCharsets.US_ASCII));
        assertEquals(Optional.empty(), Packets.decode(p).hostname());
    }

    @Test
    void hostnameWithNulAndNewlineIsDroppedOrTrimmed() throws Exception {
        DHCPPacket p = Packets.discover(MAC, 1);
        p.setOptionRaw(DHCPConstants.DHO_HOST_NAME, "host\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals(Optional.of("host"), Packets.decode(p).hostname());
        p.setOptionRaw(DHCPConstants.DHO_HOST_NAME, "ho\nst".getBytes(StandardCharsets.US_ASCII));
        assertEquals(Optional.empty(), Packets.decode(p).hostname());
    }

    @ParameterizedTest(name = "option 93 = {0}")
    @CsvSource({"'',true,", "00,true,", "000700,true,", "0007,false,UEFI_X86_64", "0000,false,BIOS_X86",
            "0010,false,UEFI_X86_64_HTTP", "00070000,false,UEFI_X86_64", "0006,false,", "ffff,false,"})
    void clientArchitecture(String hex, boolean malformed, ClientArch expected) throws Exception {
        DHCPPacket p = Packets.discover(MAC, 1);
        p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, "PXEClient:Arch:00007:UNDI:003016");
        p.setOptionRaw((byte) 93, java.util.HexFormat.of().parseHex(hex));
        DhcpRequest r = Packets.decode(p);
        assertEquals(malformed, r.archMalformed());
        assertEquals(Optional.ofNullable(expected), r.architecture());
    }

    @ParameterizedTest(name = "vendor {0}, user class {1}")
    @CsvSource(delimiter = '|', value = {
            "PXEClient:Arch:00000:UNDI:002001||true|false|false|PXEClient:Arch:00000:UNDI:002001",
            "HTTPClient:Arch:00016:UNDI:003001||true|true|false|HTTPClient:Arch:00016:UNDI:003001",
            "|iPXE|false|false|true|",
            "PXEClient:Arch:00000|iPXE|true|false|true|PXEClient:Arch:00000",
            "udhcp 1.35.0||false|false|false|udhcp 1.35.0",
            "PXEClient;${evil}||true|false|false|",
            "MSFT 5.0|notipxe|false|false|false|MSFT 5.0"})
    void pxeMarkers(String vendor, String userClass, boolean pxe, boolean http, boolean ipxe, String safeVendor) throws Exception {
        DHCPPacket p = Packets.discover(MAC, 1);
        if (vendor != null) {
            p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, vendor);
        }
        if (userClass != null) {
            p.setOptionRaw(DHCPConstants.DHO_USER_CLASS, userClass.getBytes(StandardCharsets.US_ASCII));
        }
        DhcpRequest r = Packets.decode(p);
        assertEquals(pxe, r.pxe());
        assertEquals(http, r.httpClient());
        assertEquals(ipxe, r.ipxe());
        assertEquals(safeVendor == null ? "" : safeVendor, r.vendorClass());
    }

    @Test
    void plainOfferCarriesAddressOptionsAndEchoes() throws Exception {
        DHCPPacket p = Packets.discover(MAC, 0x01020304);
        p.setFlags((short) 0x8000);
        DhcpRequest r = Packets.decode(p);
        byte[] reply = DhcpCodec.encode(DhcpReplies.offer(r, CONFIG, ip("10.0.0.100"), Optional.empty()));
        assertEquals(2, reply[0]);
        assertEquals(0x01020304, Ipv4.toInt(reply, 4));
        assertEquals((byte) 0x80, reply[10]);
        assertEquals(ip("10.0.0.100"), Packets.addressAt(reply, 16));
        assertEquals(ip("10.0.0.1"), Packets.addressAt(reply, 20));
        assertArrayEquals(MAC.bytes(), Arrays.copyOfRange(reply, 28, 34));
        Map<Integer, byte[]> o = Packets.options(reply);
        assertEquals(List.of(53, 54, 51, 58, 59, 1, 3, 6), List.copyOf(o.keySet()));
        assertArrayEquals(new byte[] {DHCPConstants.DHCPOFFER}, o.get(53));
        assertArrayEquals(new byte[] {10, 0, 0, 1}, o.get(54));
        assertArrayEquals(new byte[] {0, 0, 2, 88}, o.get(51));
        assertArrayEquals(new byte[] {(byte) 255, (byte) 255, (byte) 255, 0}, o.get(1));
        assertArrayEquals(new byte[] {10, 0, 0, (byte) 254}, o.get(3));
        assertArrayEquals(new byte[] {10, 0, 0, 53, 10, 0, 0, 54}, o.get(6));
        assertEquals("", Packets.fileField(reply));
    }

    @Test
    void ipxeOfferCarriesNoPxeDhcpAndScriptUrl() throws Exception {
        DHCPPacket p = Packets.pxeDiscover(MAC, 7, 0);
        p.setOptionRaw(DHCPConstants.DHO_USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        DhcpRequest r = Packets.decode(p);
        DhcpBoot boot = new DhcpBoot("http://10.0.0.1:5248/ipxe.cfg", ip("10.0.0.1"), "node-1");
        byte[] reply = DhcpCodec.encode(DhcpReplies.offer(r, CONFIG, ip("10.0.0.100"), Optional.of(boot)));
        Map<Integer, byte[]> o = Packets.options(reply);
        assertArrayEquals(new byte[] {(byte) 176, 1, 1}, o.get(175));
        assertEquals("PXEClient", Packets.text(o.get(60)));
        assertNull(o.get(43), "iPXE needs no PXE discovery control");
        assertEquals("10.0.0.1", Packets.text(o.get(66)));
        assertEquals("node-1", Packets.text(o.get(12)));
        assertEquals("http://10.0.0.1:5248/ipxe.cfg", Packets.fileField(reply));
        assertNull(o.get(67));
    }

    @Test
    void biosPxeOfferHasFileFieldAndNextServerButNoIpxeOption() throws Exception {
        DhcpRequest r = Packets.decode(Packets.pxeDiscover(MAC, 7, 0));
        DhcpBoot boot = new DhcpBoot("lpxelinux.0", ip("10.0.0.2"), "");
        byte[] reply = DhcpCodec.encode(DhcpReplies.offer(r, CONFIG, ip("10.0.0.100"), Optional.of(boot)));
        Map<Integer, byte[]> o = Packets.options(reply);
        assertEquals("lpxelinux.0", Packets.fileField(reply));
        assertEquals(ip("10.0.0.2"), Packets.addressAt(reply, 20));
        assertEquals("PXEClient", Packets.text(o.get(60)));
        assertArrayEquals(new byte[] {6, 1, 8, (byte) 255}, o.get(43), "PXE discovery control: use the offered boot file");
        assertNull(o.get(175));
        assertNull(o.get(12), "empty hostname is not sent");
        assertNull(o.get(67));
    }

    @Test
    void httpBootOfferEchoesHttpClient() throws Exception {
        DHCPPacket p = Packets.discover(MAC, 7);
        p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, "HTTPClient:Arch:00016:UNDI:003001");
        p.setOptionRaw((byte) 93, new byte[] {0, 16});
        DhcpBoot boot = new DhcpBoot("http://10.0.0.1:5248/images/bootx64.efi", ip("10.0.0.1"), "");
        byte[] reply = DhcpCodec.encode(DhcpReplies.offer(Packets.decode(p), CONFIG, ip("10.0.0.100"), Optional.of(boot)));
        assertEquals("HTTPClient", Packets.text(Packets.options(reply).get(60)));
    }

    @Test
    void longUrlGoesToOption67AndLeavesFileFieldEmpty() throws Exception {
        DHCPPacket p = Packets.pxeDiscover(MAC, 7, 7);
        p.setOptionRaw(DHCPConstants.DHO_USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        String url = "http://10.0.0.1:5248/ipxe.cfg?mac=52-54-00-12-34-56&token=" + "a".repeat(150);
        DhcpBoot boot = new DhcpBoot(url, ip("10.0.0.1"), "");
        byte[] reply = DhcpCodec.encode(DhcpReplies.ack(Packets.decode(p), CONFIG, ip("10.0.0.100"), Optional.of(boot)));
        assertEquals(url, Packets.text(Packets.options(reply).get(67)));
        assertEquals("", Packets.fileField(reply));
        assertTrue(DhcpReplies.bootFileFits(boot));
        assertFalse(DhcpReplies.bootFileFits(new DhcpBoot("http://x/" + "a".repeat(250), ip("10.0.0.1"), "")));
    }

    @Test
    void nakCarriesOnlyTypeAndServerId() throws Exception {
        DhcpRequest r = Packets.decode(Packets.request(MAC, 9, ip("192.168.1.5"), null));
        byte[] reply = DhcpCodec.encode(DhcpReplies.nak(r, CONFIG));
        assertEquals(List.of(53, 54), List.copyOf(Packets.options(reply).keySet()));
        assertEquals(DHCPConstants.DHCPNAK, Packets.messageType(reply));
        assertEquals(ip("0.0.0.0"), Packets.addressAt(reply, 16));
    }

    @ParameterizedTest(name = "ciaddr {0} giaddr {1} nak {2} -> {3}:{4}")
    @CsvSource({
            "0.0.0.0,0.0.0.0,false,255.255.255.255,68",
            "10.0.0.150,0.0.0.0,false,10.0.0.150,68",
            "10.0.0.150,0.0.0.0,true,255.255.255.255,68",
            "0.0.0.0,10.0.0.7,false,10.0.0.7,67",
            "10.0.0.150,10.0.0.7,true,10.0.0.7,67"})
    void destination(String ciaddr, String giaddr, boolean nak, String host, int port) throws Exception {
        DHCPPacket p = Packets.request(MAC, 9, ip("10.0.0.150"), null);
        p.setCiaddr(ip(ciaddr));
        p.setGiaddr(ip(giaddr));
        DhcpRequest r = Packets.decode(p);
        DHCPPacket reply = nak ? DhcpReplies.nak(r, CONFIG) : DhcpReplies.ack(r, CONFIG, ip("10.0.0.150"), Optional.empty());
        assertEquals(new InetSocketAddress(ip(host), port), DhcpReplies.destination(r, reply, CONFIG));
    }
}
