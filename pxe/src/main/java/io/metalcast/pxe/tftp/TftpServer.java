package io.metalcast.pxe.tftp;

import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPaths;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.net.BootFiles;
import io.metalcast.pxe.net.Transports;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TFTP boot server: a listener on the well-known port that decodes read requests, asks the {@link BootPolicy} for the
 * file (on the blocking executor) and runs each transfer on a fresh UDP port. Read-only: write requests are refused.
 */
public final class TftpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TftpServer.class);

    private final InetSocketAddress bind;
    private final BootPolicy policy;
    private final Executor blocking;
    private final MeterRegistry registry;
    private final TftpConfig config;
    private final Transports transports;
    /** Client address+port -> its transfer (reserved from the request's arrival until the transfer ends). */
    private final Map<InetSocketAddress, Boolean> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final Counter bytes;
    private EventLoopGroup group;
    private Channel listener;

    public TftpServer(InetSocketAddress bind, BootPolicy policy, Executor blocking, MeterRegistry registry) {
        this(bind, policy, blocking, registry, TftpConfig.defaults(), Transports.detect());
    }

    public TftpServer(InetSocketAddress bind, BootPolicy policy, Executor blocking, MeterRegistry registry,
                      TftpConfig config, Transports transports) {
        this.bind = Objects.requireNonNull(bind, "bind");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.config = Objects.requireNonNull(config, "config");
        this.transports = Objects.requireNonNull(transports, "transports");
        this.bytes = Counter.builder("tftp.bytes").description("TFTP payload bytes sent (first transmissions)")
                .baseUnit("bytes").register(registry);
        Gauge.builder("tftp.sessions.active", active, AtomicInteger::get).description("TFTP transfers in progress")
                .register(registry);
    }

    /**
     * Binds the listener; returns once it is bound.
     *
     * @throws IOException when the address cannot be bound (in use, no permission for port 69)
     */
    public synchronized void start() throws IOException {
        if (group != null) {
            throw new IllegalStateException("tftp: already started");
        }
        group = transports.newEventLoopGroup(config.ioThreads(), "tftp");
        ChannelFuture f = new Bootstrap().group(group).channel(transports.datagramChannel())
                .handler(new Listener()).bind(bind).awaitUninterruptibly();
        if (!f.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
            throw new IOException("tftp: cannot bind " + bind + ": " + f.cause().getMessage(), f.cause());
        }
        listener = f.channel();
        LOG.info("TFTP listening on {} ({})", listener.localAddress(), transports);
    }

    /** The bound address (with the real port when bound to port 0). */
    public InetSocketAddress localAddress() {
        if (listener == null) {
            throw new IllegalStateException("tftp: not started");
        }
        return (InetSocketAddress) listener.localAddress();
    }

    /** Transfers in progress. */
    public int activeSessions() {
        return active.get();
    }

    @Override
    public synchronized void close() {
        if (group == null) {
            return;
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        group = null;
        listener = null;
    }

    private void count(String result) {
        registry.counter("tftp.requests", "result", result).increment();
    }

    /** Answers on the listener port: used for errors before a transfer exists. */
    private static void reject(Channel ch, InetSocketAddress to, TftpErrorCode code, String message) {
        ch.writeAndFlush(new DatagramPacket(TftpPackets.error(ch.alloc(), code, message), to));
    }

    private final class Listener extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
            ByteBuf in = msg.content();
            InetSocketAddress sender = msg.sender();
            int length = in.readableBytes();
            int op = length < 2 ? -1 : in.getUnsignedShort(in.readerIndex());
            if (op != TftpPackets.RRQ && op != TftpPackets.WRQ) {
                count("ignored"); // ACK/DATA/ERROR to the listener port, garbage: dropped
                return;
            }
            if (sender.getPort() == 0) {
                count("ignored");
                return;
            }
            TftpRequest request;
            try {
                if (length > TftpRequestDecoder.MAX_REQUEST) {
                    throw new TftpMalformedException("request: " + length + " bytes (expected: <= 512)");
                }
                request = TftpRequestDecoder.decode(ByteBufUtil.getBytes(in, in.readerIndex(), length), sender);
            } catch (TftpMalformedException e) {
                count("malformed");
                reject(ctx.channel(), sender, TftpErrorCode.ILLEGAL_OPERATION, "malformed request");
                return;
            }
            if (request.write()) {
                count("write_refused");
                reject(ctx.channel(), sender, TftpErrorCode.ACCESS_VIOLATION, "read-only server");
                return;
            }
            Optional<String> path = BootPaths.normalise(request.filename());
            if (path.isEmpty()) {
                count("refused");
                reject(ctx.channel(), sender, TftpErrorCode.ACCESS_VIOLATION, "access violation");
                return;
            }
            if (sessions.size() >= config.maxSessions()) {
                count("busy");
                reject(ctx.channel(), sender, TftpErrorCode.NOT_DEFINED, "server busy");
                return;
            }
            if (sessions.putIfAbsent(sender, Boolean.TRUE) != null) {
                count("duplicate"); // a resent RRQ while its transfer runs: that transfer answers it
                return;
            }
            active.incrementAndGet();
            Channel ch = ctx.channel();
            BootFileRequest bootRequest = new BootFileRequest(path.get(), sender.getAddress(), BootFileRequest.Protocol.TFTP);
            try {
                blocking.execute(() -> {
                    Opening opening = open(bootRequest);
                    try {
                        ch.eventLoop().execute(() -> opened(ch, sender, request, opening));
                    } catch (RejectedExecutionException shuttingDown) {
                        if (opening.source != null) {
                            opening.source.close();
                        }
                    }
                });
            } catch (RejectedExecutionException e) {
                release(sender);
                count("busy");
                reject(ch, sender, TftpErrorCode.NOT_DEFINED, "server busy");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A UDP listener never closes because of one packet or one ICMP error.
            LOG.debug("tftp listener: {}", cause.toString());
        }
    }

    /** The result of asking the policy and opening the file, made on the blocking executor. */
    private record Opening(TftpSource source, TftpErrorCode error, String result) {
    }

    private Opening open(BootFileRequest request) {
        try {
            Optional<BootContent> content = policy.open(request);
            if (content.isEmpty()) {
                return new Opening(null, TftpErrorCode.FILE_NOT_FOUND, "not_found");
            }
            if (content.get() instanceof BootContent.Generated g) {
                return new Opening(new TftpSource.Bytes(g.bytes()), null, null);
            }
            BootContent.OnDisk onDisk = (BootContent.OnDisk) content.get();
            return new Opening(TftpSource.File.of(BootFiles.open(onDisk.file())), null, null);
        } catch (BootFiles.SymlinkEscapeException e) {
            return new Opening(null, TftpErrorCode.ACCESS_VIOLATION, "refused");
        } catch (NoSuchFileException | BootFiles.NotRegularFileException e) {
            return new Opening(null, TftpErrorCode.FILE_NOT_FOUND, "not_found");
        } catch (IOException | RuntimeException e) {
            LOG.warn("tftp: opening {} failed", request.path(), e);
            return new Opening(null, TftpErrorCode.NOT_DEFINED, "error");
        }
    }

    /** On the listener's event loop: refuse, or bind a fresh port for the transfer and start it. */
    private void opened(Channel listenerChannel, InetSocketAddress client, TftpRequest request, Opening opening) {
        if (opening.source == null) {
            release(client);
            count(opening.result);
            reject(listenerChannel, client, opening.error,
                    opening.error == TftpErrorCode.FILE_NOT_FOUND ? "file not found"
                            : opening.error == TftpErrorCode.ACCESS_VIOLATION ? "access violation" : "server error");
            return;
        }
        TftpSource source = opening.source;
        TftpOptions options = TftpOptions.negotiate(request.options(), source.size(), config.maxBlksize());
        TftpSession session = new TftpSession(client, source, options, config, blocking, bytes::increment, outcome -> {
            release(client);
            count(outcome.name().toLowerCase(java.util.Locale.ROOT));
        });
        InetAddress localIp = ((InetSocketAddress) listenerChannel.localAddress()).getAddress();
        ChannelFuture bound = new Bootstrap().group(listenerChannel.eventLoop().parent())
                .channel(transports.datagramChannel()).handler(session).bind(new InetSocketAddress(localIp, 0));
        bound.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                f.channel().eventLoop().execute(() -> session.start(f.channel()));
            } else {
                LOG.warn("tftp: cannot bind a transfer port: {}", f.cause().toString());
                reject(listenerChannel, client, TftpErrorCode.NOT_DEFINED, "server busy");
                session.end(TftpSession.Outcome.IO_ERROR);
            }
        });
    }

    private void release(InetSocketAddress client) {
        if (sessions.remove(client) != null) {
            active.decrementAndGet();
        }
    }
}
