package io.metalcast.pxe.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one place that chooses Netty's transport: native epoll when the platform offers it, NIO otherwise.
 * Servers take a {@code Transports} and ask it for event loop groups and channel classes, so both always agree.
 */
public final class Transports {
    private final boolean epoll;

    private Transports(boolean epoll) {
        this.epoll = epoll;
    }

    /** Native epoll when available on this machine, NIO otherwise. */
    public static Transports detect() {
        return new Transports(Epoll.isAvailable());
    }

    /** Always NIO (portable; useful to test both transports). */
    public static Transports nio() {
        return new Transports(false);
    }

    /** True when this uses the native epoll transport. */
    public boolean isEpoll() {
        return epoll;
    }

    /**
     * A new event loop group whose threads are named {@code <name>-<n>-<m>} and are daemon threads.
     *
     * @param threads number of threads, 0 for Netty's default (twice the number of cores)
     */
    public EventLoopGroup newEventLoopGroup(int threads, String name) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a thread name prefix)");
        }
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }

    /** The TCP server channel class matching {@link #newEventLoopGroup}. */
    public Class<? extends ServerSocketChannel> serverSocketChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The UDP channel class matching {@link #newEventLoopGroup}. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    @Override
    public String toString() {
        return epoll ? "epoll" : "nio";
    }
}
