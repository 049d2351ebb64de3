package io.metalcast.pxe.dhcp;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.dhcp4java.DHCPPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads, validates and hands over: decoding happens on the event loop (cheap, in memory); the decision, which may
 * block, runs on the blocking executor, which then writes the reply itself. One bad packet is counted and skipped;
 * the channel stays open.
 */
final class DhcpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private static final Logger log = LoggerFactory.getLogger(DhcpHandler.class);
    /** Requests waiting for or in the blocking executor; above this, new ones are dropped (flood protection). */
    static final int MAX_IN_FLIGHT = 1024;

    private final DhcpConfig config;
    private final DhcpResponder responder;
    private final Executor blocking;
    private final DhcpMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<Inet4Address> otherServers = ConcurrentHashMap.newKeySet();
    private final RateLimitedLog overloadLog = new RateLimitedLog(log, 60_000);

    DhcpHandler(DhcpConfig config, DhcpResponder responder, Executor blocking, DhcpMetrics metrics) {
        this.config = Objects.requireNonNull(config, "config");
        this.responder = Objects.requireNonNull(responder, "responder");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        byte[] bytes = ByteBufUtil.getBytes(packet.content()); // the datagram itself is released by our superclass
        DhcpRequest request;
        try {
            request = DhcpCodec.decode(bytes);
        } catch (DhcpDecodeException e) {
            metrics.count(e.type(), DhcpResult.MALFORMED);
            log.debug("malformed DHCP packet from {}: {}", packet.sender(), e.getMessage());
            return;
        }
        if (request.op() != 1) {
            noticeOtherServer(request);
            metrics.count(MessageType.OTHER, DhcpResult.IGNORED);
            return;
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            metrics.count(request.type(), DhcpResult.DROPPED);
            overloadLog.warn("DHCP on {}: more than {} requests waiting, dropping", config.interfaceName(), MAX_IN_FLIGHT);
            return;
        }
        Channel channel = ctx.channel();
        Thread loop = Thread.currentThread();
        try {
            blocking.execute(() -> {
                if (Thread.currentThread() == loop) {
                    // A caller-runs executor would put the policy and the pool on the event loop: refuse.
                    inFlight.decrementAndGet();
                    metrics.count(request.type(), DhcpResult.DROPPED);
                    overloadLog.warn("DHCP on {}: the blocking executor ran a task on the event loop; give it threads of its own",
                            config.interfaceName());
                    return;
                }
                answer(channel, request);
            });
        } catch (RejectedExecutionException e) {
            inFlight.decrementAndGet();
            metrics.count(request.type(), DhcpResult.DROPPED);
            overloadLog.warn("DHCP on {}: blocking executor refused work, dropping", config.interfaceName());
        }
    }

    /** Runs on the blocking executor. */
    private void answer(Channel channel, DhcpRequest request) {
        try {
            DhcpResponder.Outcome outcome = responder.respond(request);
            metrics.count(request.type(), outcome.result());
            if (outcome.reply().isPresent()) {
                DHCPPacket reply = outcome.reply().get();
                InetSocketAddress to = DhcpReplies.destination(request, reply, config);
                byte[] bytes = DhcpCodec.encode(reply);
                channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(bytes), to)).addListener(f -> {
                    if (!f.isSuccess()) {
                        log.debug("DHCP reply to {} for {} not sent: {}", to, request.mac(), f.cause().toString());
                    }
                });
            }
        } catch (RuntimeException e) {
            metrics.count(request.type(), DhcpResult.DROPPED);
            log.warn("DHCP {} from {} failed", request.type().tag(), request.mac(), e);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** P1: another DHCP server answering on our segment is worth one WARN per server. */
    private void noticeOtherServer(DhcpRequest reply) {
        reply.serverId().filter(id -> !id.equals(config.serverAddress())).ifPresent(id -> {
            if (otherServers.size() < 64 && otherServers.add(id)) {
                log.warn("another DHCP server {} answers on {}: clients may get its offers instead of ours", Ipv4.text(id), config.interfaceName());
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Never close a UDP channel because of one packet.
        log.debug("DHCP channel on {}: {}", config.interfaceName(), cause.toString());
    }
}
