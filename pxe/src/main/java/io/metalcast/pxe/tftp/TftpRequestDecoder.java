package io.metalcast.pxe.tftp;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.net.tftp.TFTPPacket;
import org.apache.commons.net.tftp.TFTPPacketException;
import org.apache.commons.net.tftp.TFTPRequestPacket;
import org.apache.commons.net.tftp.TFTPWriteRequestPacket;

/**
 * Decodes RRQ/WRQ packets. File name and mode come from Commons Net's {@link TFTPPacket#newTFTPPacket}; the RFC 2347
 * options, which Commons Net 3.11 does not expose, are read here from the bytes after the mode.
 */
public final class TftpRequestDecoder {
    /** RFC 2347: a request, options included, fits in 512 bytes. */
    public static final int MAX_REQUEST = 512;
    /** Options past this many are ignored. */
    public static final int MAX_OPTIONS = 16;

    private TftpRequestDecoder() {
    }

    /** Opcode of a packet, or -1 when it is shorter than 2 bytes. */
    public static int opcode(byte[] packet, int length) {
        return length < 2 ? -1 : ((packet[0] & 0xff) << 8) | (packet[1] & 0xff);
    }

    /**
     * @param packet the whole UDP payload
     * @param sender where it came from (Commons Net wants an address)
     */
    public static TftpRequest decode(byte[] packet, InetSocketAddress sender) throws TftpMalformedException {
        int length = packet.length;
        if (length > MAX_REQUEST) {
            throw new TftpMalformedException("request: " + length + " bytes (expected: <= " + MAX_REQUEST + ")");
        }
        int op = opcode(packet, length);
        if (op != TFTPPacket.READ_REQUEST && op != TFTPPacket.WRITE_REQUEST) {
            throw new TftpMalformedException("opcode: " + op + " (expected: 1 or 2)");
        }
        // Filename and mode must both be NUL-terminated; Commons Net tolerates a missing final NUL, we do not.
        int nameEnd = indexOfNul(packet, 2, length);
        if (nameEnd < 0) {
            throw new TftpMalformedException("filename: no NUL terminator");
        }
        if (nameEnd == 2) {
            throw new TftpMalformedException("filename: empty");
        }
        int modeEnd = indexOfNul(packet, nameEnd + 1, length);
        if (modeEnd < 0 || modeEnd == nameEnd + 1) {
            throw new TftpMalformedException("mode: missing (expected: octet or netascii)");
        }
        TFTPRequestPacket parsed;
        try {
            TFTPPacket p = TFTPPacket.newTFTPPacket(new DatagramPacket(packet.clone(), length, sender.getAddress(), sender.getPort()));
            parsed = (TFTPRequestPacket) p;
        } catch (TFTPPacketException | RuntimeException e) {
            throw new TftpMalformedException("request: " + e.getMessage());
        }
        String mode = parsed.getMode() == 0 ? "netascii" : "octet";
        Map<String, String> options = new LinkedHashMap<>();
        int pos = modeEnd + 1;
        while (pos < length && options.size() < MAX_OPTIONS) {
            int keyEnd = indexOfNul(packet, pos, length);
            if (keyEnd < 0) {
                break;
            }
            int valueEnd = indexOfNul(packet, keyEnd + 1, length);
            if (valueEnd < 0) {
                break;
            }
            String key = new String(packet, pos, keyEnd - pos, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
            String value = new String(packet, keyEnd + 1, valueEnd - keyEnd - 1, StandardCharsets.US_ASCII);
            if (!key.isEmpty()) {
                options.putIfAbsent(key, value);
            }
            pos = valueEnd + 1;
        }
        return new TftpRequest(parsed instanceof TFTPWriteRequestPacket, parsed.getFilename(), mode, options);
    }

    private static int indexOfNul(byte[] packet, int from, int to) {
        for (int i = from; i < to; i++) {
            if (packet[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
