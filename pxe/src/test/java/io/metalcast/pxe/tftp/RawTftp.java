package io.metalcast.pxe.tftp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** A minimal TFTP client on a plain DatagramSocket, for option negotiation and robustness tests. */
final class RawTftp implements AutoCloseable {
    final DatagramSocket socket;
    final InetSocketAddress server;

    record Packet(int opcode, byte[] bytes, InetSocketAddress from) {
        int block() {
            return ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
        }

        int payload() {
            return bytes.length - 4;
        }

        String errorMessage() {
            return new String(bytes, 4, Math.max(0, bytes.length - 5), StandardCharsets.US_ASCII);
        }

        Map<String, String> oack() {
            Map<String, String> m = new LinkedHashMap<>();
            String[] parts = new String(bytes, 2, bytes.length - 2, StandardCharsets.US_ASCII).split("\0");
            for (int i = 0; i + 1 < parts.length; i += 2) {
                m.put(parts[i], parts[i + 1]);
            }
            return m;
        }
    }

    record Download(byte[] content, Map<String, String> oack, int dataPackets) {
    }

    RawTftp(InetSocketAddress server) throws IOException {
        this.server = server;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    static byte[] rrq(String name, String... options) {
        String[] fields = new String[2 + options.length];
        fields[0] = name;
        fields[1] = "octet";
        System.arraycopy(options, 0, fields, 2, options.length);
        return TftpCodecTest.request(1, fields);
    }

    static byte[] ack(int block) {
        return new byte[] {0, 4, (byte) (block >> 8), (byte) block};
    }

    void send(byte[] bytes, InetSocketAddress to) throws IOException {
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }

    /** The next packet, or null after {@code timeoutMillis} of silence. */
    Packet receive(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] buf = new byte[70000];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            socket.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        byte[] bytes = Arrays.copyOf(buf, p.getLength());
        int opcode = bytes.length < 2 ? -1 : ((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff);
        return new Packet(opcode, bytes, (InetSocketAddress) p.getSocketAddress());
    }

    /** Downloads {@code name} asking for the given options (name, value, ...), checking block order strictly. */
    Download get(String name, String... options) throws IOException {
        send(rrq(name, options), server);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, String> oack = Map.of();
        int blksize = 512;
        long expected = 1;
        int packets = 0;
        while (true) {
            Packet p = receive(5000);
            if (p == null) {
                throw new IOException("timeout waiting for block " + expected);
            }
            if (p.opcode() == TftpPackets.ERROR) {
                throw new IOException("ERROR " + p.block() + ": " + p.errorMessage());
            }
            if (p.opcode() == TftpPackets.OACK && expected == 1 && packets == 0) {
                oack = p.oack();
                blksize = Integer.parseInt(oack.getOrDefault("blksize", "512"));
                send(ack(0), p.from());
                continue;
            }
            if (p.opcode() != TftpPackets.DATA || p.block() != (int) (expected & 0xffff)) {
                throw new IOException("unexpected packet opcode " + p.opcode() + " block " + p.block() + " (expected DATA " + expected + ")");
            }
            packets++;
            out.write(p.bytes(), 4, p.payload());
            send(ack(p.block()), p.from());
            if (p.payload() < blksize) {
                return new Download(out.toByteArray(), oack, packets);
            }
            expected++;
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
