package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import org.dhcp4java.DHCPConstants;
import org.dhcp4java.DHCPPacket;

import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Bytes to {@link DhcpRequest} and {@link DHCPPacket} to bytes. Holds no state and no policy.
 *
 * <p>The raw bytes are checked here before dhcp4java sees them (length, magic cookie, every option inside the packet,
 * an END option), and whatever dhcp4java throws is turned into a {@link DhcpDecodeException}.
 */
public final class DhcpCodec {
    /** Fixed BOOTP header length, up to the magic cookie. */
    static final int HEADER_LENGTH = 236;
    static final int MAX_LENGTH = 1500;
    private static final byte[] MAGIC_COOKIE = {99, (byte) 130, 83, 99};
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    /** Characters allowed through in option 60: it may end up in boot scripts and logs. */
    private static final Pattern SAFE_VENDOR_CLASS = Pattern.compile("[A-Za-z0-9:._/ -]{1,255}");

    private DhcpCodec() {
    }

    /** Validates and decodes one datagram. */
    public static DhcpRequest decode(byte[] b) throws DhcpDecodeException {
        int len = b.length;
        if (len < HEADER_LENGTH + MAGIC_COOKIE.length) {
            throw new DhcpDecodeException(MessageType.OTHER, "length: " + len + " (expected: at least 240 bytes)");
        }
        if (len > MAX_LENGTH) {
            throw new DhcpDecodeException(MessageType.OTHER, "length: " + len + " (expected: at most " + MAX_LENGTH + " bytes)");
        }
        if (!Arrays.equals(b, HEADER_LENGTH, HEADER_LENGTH + 4, MAGIC_COOKIE, 0, 4)) {
            throw new DhcpDecodeException(MessageType.OTHER, "magic cookie missing (BOOTP is not served)");
        }
        int op = b[0];
        if (op != DHCPConstants.BOOTREQUEST && op != DHCPConstants.BOOTREPLY) {
            throw new DhcpDecodeException(MessageType.OTHER, "op: " + op + " (expected: 1 or 2)");
        }
        if (b[1] != DHCPConstants.HTYPE_ETHER || b[2] != 6) {
            throw new DhcpDecodeException(MessageType.OTHER, "htype/hlen: " + b[1] + "/" + b[2] + " (expected: 1/6, Ethernet)");
        }
        // Walk the options once over the raw bytes: every length must stay inside the packet, and END must come.
        int messageTypeCount = 0;
        int messageType = -1;
        int i = HEADER_LENGTH + 4;
        boolean end = false;
        boolean[] seen = new boolean[256];
        boolean repeated = false;
        while (i < len) {
            int code = b[i] & 0xff;
            if (code == 0) {
                i++;
                continue;
            }
            if (code == 255) {
                end = true;
                break;
            }
            if (i + 1 >= len) {
                throw new DhcpDecodeException(MessageType.OTHER, "option " + code + " at " + i + ": length byte past the end");
            }
            int olen = b[i + 1] & 0xff;
            if (i + 2 + olen > len) {
                throw new DhcpDecodeException(MessageType.OTHER, "option " + code + " at " + i + ": length " + olen + " runs past the end (" + len + ")");
            }
            if (code == 53) {
                messageTypeCount++;
                messageType = olen == 1 ? b[i + 2] & 0xff : -1;
            }
            repeated |= seen[code];
            seen[code] = true;
            i += 2 + olen;
        }
        if (!end) {
            throw new DhcpDecodeException(MessageType.OTHER, "no END option");
        }
        if (messageTypeCount != 1 || messageType < 1) {
            throw new DhcpDecodeException(MessageType.OTHER, "option 53: " + messageTypeCount + " instances (expected: exactly one of length 1)");
        }
        MessageType type = MessageType.ofCode(messageType);
        if (repeated) {
            // RFC 3396 splitting is legal but rare from clients; dhcp4java would keep one part only. Refuse rather than misread.
            throw new DhcpDecodeException(type, "an option appears more than once (RFC 3396 concatenation is not supported)");
        }

        DHCPPacket p;
        try {
            p = DHCPPacket.getPacket(b, 0, len, false);
        } catch (RuntimeException e) {
            throw new DhcpDecodeException(type, "dhcp4java refused the packet: " + e.getMessage(), e);
        }
        byte[] clientId = p.getOptionRaw(DHCPConstants.DHO_DHCP_CLIENT_IDENTIFIER);
        if (clientId != null && clientId.length < 2) {
            throw new DhcpDecodeException(type, "option 61: length " + clientId.length + " (expected: 2..255)");
        }
        Optional<Inet4Address> requested = address(p, DHCPConstants.DHO_DHCP_REQUESTED_ADDRESS, type);
        Optional<Inet4Address> serverId = address(p, DHCPConstants.DHO_DHCP_SERVER_IDENTIFIER, type);

        byte[] vendorRaw = p.getOptionRaw(DHCPConstants.DHO_VENDOR_CLASS_IDENTIFIER);
        String vendor = vendorRaw == null ? "" : new String(vendorRaw, StandardCharsets.ISO_8859_1);
        boolean httpClient = vendor.startsWith("HTTPClient");
        boolean pxe = vendor.startsWith("PXEClient") || httpClient;
        String safeVendor = SAFE_VENDOR_CLASS.matcher(vendor).matches() ? vendor : "";
        byte[] userClass = p.getOptionRaw(DHCPConstants.DHO_USER_CLASS);
        boolean ipxe = userClass != null && new String(userClass, StandardCharsets.ISO_8859_1).contains("iPXE");

        byte[] arch = p.getOptionRaw((byte) 93);
        Optional<ClientArch> architecture = Optional.empty();
        boolean archMalformed = false;
        if (arch != null) {
            if (arch.length < 2 || arch.length % 2 != 0) {
                archMalformed = true;
            } else {
                architecture = ClientArch.ofCode((arch[0] & 0xff) << 8 | arch[1] & 0xff);
            }
        }

        return new DhcpRequest(op, type, p.getXid(), p.getFlags(), (Inet4Address) p.getCiaddr(), (Inet4Address) p.getGiaddr(),
                MacAddress.of(Arrays.copyOf(p.getChaddr(), 6)), requested, serverId,
                hostname(p.getOptionRaw(DHCPConstants.DHO_HOST_NAME)), safeVendor, pxe, httpClient, ipxe, architecture, archMalformed);
    }

    /** Serialises a reply built by {@link DhcpReplies}. */
    public static byte[] encode(DHCPPacket reply) {
        return reply.serialize();
    }

    /**
     * A host name of letters, digits and hyphens in dot-separated labels of 1..63 characters, 253 at most; a trailing
     * NUL or dot is tolerated. Anything else is empty.
     */
    static Optional<String> hostname(byte[] raw) {
        if (raw == null) {
            return Optional.empty();
        }
        int n = raw.length;
        while (n > 0 && raw[n - 1] == 0) {
            n--;
        }
        String s = new String(raw, 0, n, StandardCharsets.ISO_8859_1);
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        if (!validHostname(s)) {
            return Optional.empty();
        }
        return Optional.of(s);
    }

    static boolean validHostname(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        for (String label : s.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Inet4Address> address(DHCPPacket p, byte code, MessageType type) throws DhcpDecodeException {
        byte[] raw = p.getOptionRaw(code);
        if (raw == null) {
            return Optional.empty();
        }
        if (raw.length != 4) {
            throw new DhcpDecodeException(type, "option " + code + ": length " + raw.length + " (expected: 4)");
        }
        return Optional.of(Ipv4.fromInt(Ipv4.toInt(raw, 0)));
    }
}
