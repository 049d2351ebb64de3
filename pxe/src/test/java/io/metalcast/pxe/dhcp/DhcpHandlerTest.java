package io.metalcast.pxe.dhcp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.dhcp4java.DHCPConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.metalcast.pxe.dhcp.DhcpCodecTest.CONFIG;
import static io.metalcast.pxe.dhcp.Packets.MAC;
import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DhcpHandlerTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ExecutorService blocking = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        blocking.shutdownNow();
    }

    EmbeddedChannel channel(java.util.concurrent.Executor executor) {
        DhcpResponder responder = new DhcpResponder(CONFIG, new TestPolicy(c -> TestPolicy.maasLike(c, ip("10.0.0.1"))),
                InMemoryLeasePool.forConfig(CONFIG, Clock.systemUTC()));
        return new EmbeddedChannel(new DhcpHandler(CONFIG, responder, executor, new DhcpMetrics(registry)));
    }

    static DatagramPacket datagram(byte[] bytes) {
        return new DatagramPacket(Unpooled.wrappedBuffer(bytes), new InetSocketAddress("0.0.0.0", 67), new InetSocketAddress("0.0.0.0", 68));
    }

    double count(String type, String result) {
        return registry.get("dhcp.packets").tag("type", type).tag("result", result).counter().count();
    }

    DatagramPacket awaitOutbound(EmbeddedChannel ch) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            ch.runPendingTasks();
            DatagramPacket out = ch.readOutbound();
            if (out != null) {
                return out;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no reply written");
    }

    @Test
    void replyIsWrittenFromTheBlockingExecutorToBroadcast() throws Exception {
        EmbeddedChannel ch = channel(blocking);
        ch.writeInbound(datagram(Packets.discover(MAC, 42).serialize()));
        DatagramPacket out = awaitOutbound(ch);
        try {
            assertEquals(new InetSocketAddress("255.255.255.255", 68), out.recipient());
            byte[] reply = ByteBufUtil.getBytes(out.content());
            assertEquals(DHCPConstants.DHCPOFFER, Packets.messageType(reply));
            assertEquals(42, Ipv4.toInt(reply, 4));
        } finally {
            out.release();
        }
        assertEquals(1, count("discover", "offer"));
        ch.finishAndReleaseAll();
    }

    @Test
    void malformedPacketIsCountedAndTheChannelStaysOpen() {
        EmbeddedChannel ch = channel(blocking);
        ch.writeInbound(datagram(new byte[10]));
        ch.writeInbound(datagram(DhcpCodecTest.withOptions(53, 1, 1, 12, 200)));
        assertEquals(2, count("other", "malformed"));
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void callerRunsExecutorIsRefusedSoTheEventLoopNeverBlocks() {
        EmbeddedChannel ch = channel(Runnable::run);
        ch.writeInbound(datagram(Packets.discover(MAC, 43).serialize()));
        ch.runPendingTasks();
        assertNull(ch.readOutbound());
        assertEquals(1, count("discover", "dropped"));
        ch.finishAndReleaseAll();
    }

    @Test
    void repliesFromOtherServersAreIgnored() {
        EmbeddedChannel ch = channel(blocking);
        byte[] offer = DhcpCodec.encode(DhcpReplies.offer(decodeUnchecked(), CONFIG, ip("10.0.0.100"), java.util.Optional.empty()));
        ch.writeInbound(datagram(offer));
        assertEquals(1, count("other", "ignored"));
        ch.finishAndReleaseAll();
    }

    static DhcpRequest decodeUnchecked() {
        try {
            return Packets.decode(Packets.discover(MAC, 44));
        } catch (DhcpDecodeException e) {
            throw new AssertionError(e);
        }
    }
}
