package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.BootPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The authoritative DHCPv4 server on one interface: an epoll datagram channel on 0.0.0.0:serverPort, bound to the
 * interface with SO_BINDTODEVICE (checked after setting it; the server refuses to start rather than listen on every
 * interface). Linux only.
 */
public final class DhcpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DhcpServer.class);
    private static final int SOL_SOCKET = 1;
    private static final int SO_BINDTODEVICE = 25;
    /** Linux IFNAMSIZ, including the NUL. */
    private static final int IFNAMSIZ = 16;

    private final DhcpConfig config;
    private final BootPolicy policy;
    private final Executor blocking;
    private final MeterRegistry registry;
    private final LeasePool pool;
    private EventLoopGroup group;
    private Channel channel;
    private Gauge leaseGauge;

    public DhcpServer(DhcpConfig config, BootPolicy policy, Executor blocking, MeterRegistry registry) {
        this(config, policy, blocking, registry, InMemoryLeasePool.forConfig(config, Clock.systemUTC()));
    }

    /** With a lease pool of the caller's (a durable one, say). */
    public DhcpServer(DhcpConfig config, BootPolicy policy, Executor blocking, MeterRegistry registry, LeasePool pool) {
        this.config = Objects.requireNonNull(config, "config");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    /**
     * Binds and returns once packets are being received.
     *
     * @throws DhcpBindException when the interface does not exist, epoll is unavailable, SO_BINDTODEVICE cannot be set
     *                           (it needs CAP_NET_RAW) or the port is taken
     */
    public synchronized void start() throws InterruptedException {
        if (channel != null) {
            throw new IllegalStateException("DHCP server on " + config.interfaceName() + " already started");
        }
        String ifname = config.interfaceName();
        try {
            if (NetworkInterface.getByName(ifname) == null) {
                throw new DhcpBindException("dhcp.interface: '" + ifname + "' (expected: an existing network interface)");
            }
        } catch (SocketException e) {
            throw new DhcpBindException("dhcp.interface: '" + ifname + "' cannot be looked up: " + e.getMessage(), e);
        }
        if (!Epoll.isAvailable()) {
            throw new DhcpBindException("DHCP needs Linux epoll: " + Epoll.unavailabilityCause(), Epoll.unavailabilityCause());
        }
        DhcpMetrics metrics = new DhcpMetrics(registry);
        DhcpHandler handler = new DhcpHandler(config, new DhcpResponder(config, policy, pool), blocking, metrics);
        group = new EpollEventLoopGroup(1, new DefaultThreadFactory("dhcp-" + ifname, true));
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channelFactory(() -> new EpollDatagramChannel(InternetProtocolFamily.IPv4))
                    .option(ChannelOption.SO_BROADCAST, true)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(handler);
            channel = bootstrap.register().sync().channel();
            bindToDevice(channel, ifname);
            InetSocketAddress local = new InetSocketAddress("0.0.0.0", config.serverPort());
            try {
                channel.bind(local).sync();
            } catch (Exception e) {
                // sync() rethrows the bind failure (a checked exception, sneakily) or InterruptedException.
                if (e instanceof InterruptedException ie) {
                    throw ie;
                }
                throw new DhcpBindException("dhcp: cannot bind " + local + " on " + ifname + ": " + e, e);
            }
        } catch (RuntimeException | InterruptedException e) {
            if (e instanceof DhcpBindException) {
                log.warn("{}", e.getMessage());
            }
            closeQuietly();
            throw e;
        }
        leaseGauge = Gauge.builder("dhcp.leases.active", pool, LeasePool::activeLeases)
                .description("DHCP leases bound and not expired")
                .tag("interface", ifname)
                .strongReference(true)
                .register(registry);
        log.info("DHCP serving {}/{} range {}-{} on {} port {}", Ipv4.text(config.subnet()), config.prefixLength(),
                Ipv4.text(config.rangeStart()), Ipv4.text(config.rangeEnd()), ifname, config.serverPort());
    }

    /** The local address bound, for tests and logs. */
    public synchronized InetSocketAddress localAddress() {
        if (channel == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) channel.localAddress();
    }

    static void bindToDevice(Channel channel, String ifname) {
        byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer value = ByteBuffer.allocateDirect(name.length + 1);
        value.put(name).put((byte) 0).flip();
        boolean set;
        try {
            set = channel.config().setOption(new RawUnixChannelOption("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, name.length + 1), value);
        } catch (ChannelException e) {
            throw new DhcpBindException("dhcp: SO_BINDTODEVICE " + ifname + " failed (needs CAP_NET_RAW): " + e.getMessage(), e);
        }
        if (!set) {
            throw new DhcpBindException("dhcp: SO_BINDTODEVICE is not supported by this channel");
        }
        String bound = boundDevice(channel);
        if (!ifname.equals(bound)) {
            throw new DhcpBindException("dhcp: SO_BINDTODEVICE " + ifname + " did not take effect (socket bound to '" + bound + "')");
        }
    }

    /** Reads SO_BINDTODEVICE back: the interface name, or the empty string when the socket is not bound to one. */
    static String boundDevice(Channel channel) {
        ByteBuffer out;
        try {
            out = channel.config().getOption(new RawUnixChannelOption("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, IFNAMSIZ));
        } catch (ChannelException e) {
            throw new DhcpBindException("dhcp: cannot read SO_BINDTODEVICE back: " + e.getMessage(), e);
        }
        if (out == null) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < out.limit(); i++) {
            byte c = out.get(i);
            if (c == 0) {
                break;
            }
            s.append((char) c);
        }
        return s.toString();
    }

    @Override
    public synchronized void close() {
        closeQuietly();
        if (leaseGauge != null) {
            registry.remove(leaseGauge);
            leaseGauge = null;
        }
    }

    private void closeQuietly() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            channel = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            group = null;
        }
    }
}
