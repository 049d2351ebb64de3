package io.metalcast.pxe.dhcp;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A tiny DHCP client side that runs inside a test network namespace ({@code ip netns exec NS java ... NetnsProbe PORT}):
 * it listens on 0.0.0.0:PORT, prints each datagram received as {@code recv HEX}, and sends {@code send PORT HEX} lines
 * from stdin to 255.255.255.255:PORT. JDK only; it ends when stdin closes.
 */
public final class NetnsProbe {
    private NetnsProbe() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
        DatagramSocket socket = new DatagramSocket(null);
        socket.setReuseAddress(true);
        socket.setBroadcast(true);
        socket.bind(new InetSocketAddress("0.0.0.0", port));
        Thread receiver = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                } catch (Exception e) {
                    return;
                }
                synchronized (out) {
                    out.println("recv " + HexFormat.of().formatHex(Arrays.copyOf(p.getData(), p.getLength())));
                }
            }
        });
        receiver.setDaemon(true);
        receiver.start();
        synchronized (out) {
            out.println("ready");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        InetAddress broadcast = InetAddress.getByName("255.255.255.255");
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[0].equals("send")) {
                byte[] data = HexFormat.of().parseHex(f[2]);
                try {
                    socket.send(new DatagramPacket(data, data.length, broadcast, Integer.parseInt(f[1])));
                } catch (Exception e) {
                    synchronized (out) {
                        out.println("error " + e);
                    }
                }
            }
        }
        socket.close();
    }
}
