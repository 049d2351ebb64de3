package io.metalcast.pxe.http;

import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.net.Transports;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boot HTTP server (MAAS's port 5248): HTTP/1.1 keep-alive, GET and HEAD of what the {@link BootPolicy} publishes.
 * Files go out as zero-copy file regions with an exact Content-Length, never chunked.
 *
 * <p>Meters: {@code http.requests} (method, result), {@code http.bytes} (body bytes as they leave),
 * {@code http.transfer.rate} (bytes/s of each file body), {@code http.connection.bytes},
 * {@code http.connections.active}, {@code http.connections.refused} (reason {@code total} or {@code per_ip}).
 */
public final class HttpBootServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpBootServer.class);

    private final InetSocketAddress bind;
    private final BootPolicy policy;
    private final Executor blocking;
    private final MeterRegistry registry;
    private final HttpLimits limits;
    private final Transports transports;
    private final HttpMeters meters;
    private final ConnectionLimiter connections;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;

    public HttpBootServer(InetSocketAddress bind, BootPolicy policy, Executor blocking, MeterRegistry registry) {
        this(bind, policy, blocking, registry, HttpLimits.defaults(), Transports.detect());
    }

    public HttpBootServer(InetSocketAddress bind, BootPolicy policy, Executor blocking, MeterRegistry registry,
                          HttpLimits limits, Transports transports) {
        this.bind = Objects.requireNonNull(bind, "bind");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.transports = Objects.requireNonNull(transports, "transports");
        this.meters = new HttpMeters(registry);
        this.connections = new ConnectionLimiter(limits, registry);
    }

    /**
     * Binds; returns once bound.
     *
     * @throws IOException when the address cannot be bound
     */
    public synchronized void start() throws IOException {
        if (boss != null) {
            throw new IllegalStateException("http: already started");
        }
        boss = transports.newEventLoopGroup(1, "http-accept");
        workers = transports.newEventLoopGroup(limits.ioThreads(), "http");
        ChannelFuture f = new ServerBootstrap().group(boss, workers).channel(transports.serverSocketChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!connections.admit(ch)) {
                            ch.close();
                            return;
                        }
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(true, 0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                                .addLast("decoder", new BootRequestDecoder(limits))
                                .addLast("encoder", new HttpResponseEncoder())
                                .addLast("boot", new HttpBootHandler(policy, blocking, registry, meters, limits));
                    }
                })
                .bind(bind).awaitUninterruptibly();
        if (!f.isSuccess()) {
            shutdownGroups();
            throw new IOException("http: cannot bind " + bind + ": " + f.cause().getMessage(), f.cause());
        }
        server = f.channel();
        LOG.info("HTTP boot server listening on {} ({})", server.localAddress(), transports);
    }

    /** The bound address (with the real port when bound to port 0). */
    public InetSocketAddress localAddress() {
        if (server == null) {
            throw new IllegalStateException("http: not started");
        }
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close().awaitUninterruptibly();
            server = null;
        }
        shutdownGroups();
    }

    private void shutdownGroups() {
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            boss = null;
            workers = null;
        }
    }
}
