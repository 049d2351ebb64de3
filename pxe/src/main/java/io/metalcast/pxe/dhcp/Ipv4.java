package io.metalcast.pxe.dhcp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 address arithmetic on unsigned 32-bit ints. */
final class Ipv4 {
    private Ipv4() {
    }

    static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    static int toInt(byte[] b, int offset) {
        return (b[offset] & 0xff) << 24 | (b[offset + 1] & 0xff) << 16 | (b[offset + 2] & 0xff) << 8 | b[offset + 3] & 0xff;
    }

    static Inet4Address fromInt(int v) {
        byte[] b = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always an address", e);
        }
    }

    static String text(Inet4Address a) {
        return a.getHostAddress();
    }

    static int network(int address, int prefixLength) {
        return prefixLength == 0 ? 0 : address & (-1 << (32 - prefixLength));
    }

    static int broadcast(Inet4Address subnet, int prefixLength) {
        return toInt(subnet) | (prefixLength == 32 ? 0 : -1 >>> prefixLength);
    }

    static boolean inside(int address, Inet4Address subnet, int prefixLength) {
        return network(address, prefixLength) == toInt(subnet);
    }
}
