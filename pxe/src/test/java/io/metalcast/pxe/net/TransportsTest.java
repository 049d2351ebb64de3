package io.metalcast.pxe.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportsTest {

    @Test
    void detectUsesEpollExactlyWhenAvailable() {
        Transports t = Transports.detect();
        assertEquals(Epoll.isAvailable(), t.isEpoll());
        if (Epoll.isAvailable()) {
            assertEquals(EpollServerSocketChannel.class, t.serverSocketChannel());
            assertEquals(EpollDatagramChannel.class, t.datagramChannel());
        }
    }

    @Test
    void linuxX8664HasNativeEpoll() {
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        }
    }

    @Test
    void nioIsNio() {
        Transports t = Transports.nio();
        assertFalse(t.isEpoll());
        assertEquals(NioServerSocketChannel.class, t.serverSocketChannel());
        assertEquals(NioDatagramChannel.class, t.datagramChannel());
    }

    @Test
    void groupThreadsAreNamedAndDaemon() throws Exception {
        for (Transports t : new Transports[] {Transports.detect(), Transports.nio()}) {
            EventLoopGroup group = t.newEventLoopGroup(1, "probe");
            try {
                Thread thread = group.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
                assertTrue(thread.getName().startsWith("probe-"), thread.getName());
                assertTrue(thread.isDaemon());
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Transports.nio().newEventLoopGroup(-1, "x"));
        assertThrows(IllegalArgumentException.class, () -> Transports.nio().newEventLoopGroup(1, " "));
    }
}
