package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.MacAddress;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Client packets built with dhcp4java, and a raw reader of reply bytes that does not trust dhcp4java. */
final class Packets {
    static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");
    static final MacAddress OTHER_MAC = MacAddress.parse("52:54:00:ab:cd:ef");

    private Packets() {
    }

    static MacAddress mac(int i) {
        return MacAddress.of(new byte[] {0x52, 0x54, 0, 0x0f, (byte) (i >> 8), (byte) i});
    }

    static Inet4Address ip(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static DHCPPacket client(byte type, MacAddress mac, int xid) {
        DHCPPacket p = new DHCPPacket();
        p.setOp(DHCPConstants.BOOTREQUEST);
        p.setHtype(DHCPConstants.HTYPE_ETHER);
        p.setHlen((byte) 6);
        p.setXid(xid);
        p.setChaddr(Arrays.copyOf(mac.bytes(), 16));
        p.setDhcp(true);
        p.setDHCPMessageType(type);
        return p;
    }

    static DHCPPacket discover(MacAddress mac, int xid) {
        return client(DHCPConstants.DHCPDISCOVER, mac, xid);
    }

    static DHCPPacket request(MacAddress mac, int xid, Inet4Address requested, Inet4Address serverId) {
        DHCPPacket p = client(DHCPConstants.DHCPREQUEST, mac, xid);
        p.setOptionAsInetAddress(DHCPConstants.DHO_DHCP_REQUESTED_ADDRESS, requested);
        if (serverId != null) {
            p.setOptionAsInetAddress(DHCPConstants.DHO_DHCP_SERVER_IDENTIFIER, serverId);
        }
        return p;
    }

    /** A PXE ROM's DISCOVER: option 60 PXEClient, option 93 with the given code. */
    static DHCPPacket pxeDiscover(MacAddress mac, int xid, int arch) {
        DHCPPacket p = discover(mac, xid);
        p.setOptionAsString(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER, String.format("PXEClient:Arch:%05d:UNDI:003016", arch));
        p.setOptionRaw((byte) 93, new byte[] {(byte) (arch >> 8), (byte) arch});
        return p;
    }

    static DhcpRequest decode(DHCPPacket p) throws DhcpDecodeException {
        return DhcpCodec.decode(p.serialize());
    }

    /** Options of a serialised packet, read byte by byte. */
    static Map<Integer, byte[]> options(byte[] b) {
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        int i = 240;
        while (i < b.length) {
            int code = b[i] & 0xff;
            if (code == 0) {
                i++;
                continue;
            }
            if (code == 255) {
                return out;
            }
            int len = b[i + 1] & 0xff;
            if (out.put(code, Arrays.copyOfRange(b, i + 2, i + 2 + len)) != null) {
                throw new AssertionError("option " + code + " twice");
            }
            i += 2 + len;
        }
        throw new AssertionError("no END option");
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.US_ASCII);
    }

    static String fileField(byte[] reply) {
        int n = 0;
        while (n < 128 && reply[108 + n] != 0) {
            n++;
        }
        return new String(reply, 108, n, StandardCharsets.US_ASCII);
    }

    static Inet4Address addressAt(byte[] b, int offset) {
        return Ipv4.fromInt(Ipv4.toInt(b, offset));
    }

    static int messageType(byte[] reply) {
        return options(reply).get(53)[0];
    }
}
