package io.metalcast.engine.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.ephemeral.EphemeralImports;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.machine.Machines;
import io.metalcast.engine.metrics.EngineMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API server on port 5240: MAAS API 2.0 (machines, boot resources), metadata (preseed, curtin webhook), the status
 * page and {@code /metrics}. Request bodies are limited to 1 MiB except uploads (a big create, the chunks of a chunked
 * upload), which stream to disk. Every {@code /MAAS/api/2.0/} request but {@code describe/} and {@code version/} needs a
 * MAAS-signed API key ({@link Authenticator}). A client that does not send its request headers in time, or stalls
 * in the middle of a body, is disconnected ({@link ApiLimits}); a stalled upload chunk is then dropped.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    static final int MAX_BODY = 1 << 20;

    private final InetSocketAddress bind;
    private final Machines machines;
    private final BootResources resources;
    private final EngineMetrics metrics;
    private final Supplier<Urls> urls;
    private final Executor blocking;
    private final PrometheusMeterRegistry registry;
    private final ApiKeys keys;
    private final EphemeralImports imports;
    private final ApiLimits limits;
    private EventLoopGroup group;
    private Channel channel;

    public ApiServer(InetSocketAddress bind, Machines machines, BootResources resources, EngineMetrics metrics, Supplier<Urls> urls, Executor blocking,
                     PrometheusMeterRegistry registry, ApiKeys keys, EphemeralImports imports) {
        this(bind, machines, resources, metrics, urls, blocking, registry, keys, imports, ApiLimits.DEFAULTS);
    }

    /** With the client timeouts given ({@link ApiLimits#DEFAULTS} otherwise). */
    public ApiServer(InetSocketAddress bind, Machines machines, BootResources resources, EngineMetrics metrics, Supplier<Urls> urls, Executor blocking,
                     PrometheusMeterRegistry registry, ApiKeys keys, EphemeralImports imports, ApiLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.imports = Objects.requireNonNull(imports, "imports");
        this.bind = Objects.requireNonNull(bind, "bind");
        this.machines = Objects.requireNonNull(machines, "machines");
        this.resources = Objects.requireNonNull(resources, "resources");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.urls = Objects.requireNonNull(urls, "urls");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** Binds and starts serving; returns once the socket is bound. */
    public synchronized void start() throws InterruptedException {
        if (channel != null) {
            throw new IllegalStateException("api server already started");
        }
        ObjectMapper mapper = new ObjectMapper();
        Http http = new Http(registry);
        MaasJson json = new MaasJson(mapper);
        Authenticator auth = new Authenticator(keys);
        Creates creates = new Creates(resources, metrics, json);
        ApiHandler api = new ApiHandler(machines, resources, metrics, urls, blocking, registry, http, mapper, auth, creates, imports);
        DefaultHttpDataFactory factory = new DefaultHttpDataFactory(true);
        factory.setBaseDir(resources.store().tmpDir().toAbsolutePath().toString());
        factory.setDeleteOnExit(false);
        group = new NioEventLoopGroup(2, new DefaultThreadFactory("api-io"));
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("codec", new HttpServerCodec(8192, 16384, 65536))
                                .addLast("continue", new HttpServerExpectContinueHandler())
                                .addLast("idle", new IdleTimeouts(limits))
                                .addLast("upload", new UploadHandler(resources, metrics, factory, blocking, http, creates, auth))
                                .addLast("aggregate", new HttpObjectAggregator(MAX_BODY))
                                .addLast("api", api);
                    }
                });
        channel = b.bind(bind).sync().channel();
        InetSocketAddress a = (InetSocketAddress) channel.localAddress();
        log.info("api listening on {}:{}", a.getHostString(), a.getPort());
    }

    public synchronized InetSocketAddress localAddress() {
        if (channel == null) {
            throw new IllegalStateException("api server not started");
        }
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops accepting connections; those open keep being served until {@link #close}. */
    public synchronized void stopAccepting() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
            channel = null;
        }
    }

    @Override
    public synchronized void close() {
        stopAccepting();
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
