package io.metalcast.pxe.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections in total and per client address, and refuses those over {@link HttpLimits#maxConnections()}
 * or {@link HttpLimits#maxConnectionsPerIp()}. Thread-safe: channels of every event loop call it.
 */
final class ConnectionLimiter {
    private final int maxTotal;
    private final int maxPerIp;
    /** Admitted and reserving: a slot is taken before the per-address check. */
    private final AtomicInteger total = new AtomicInteger();
    /** Admitted only (what the gauge shows). */
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final Counter refusedTotal;
    private final Counter refusedPerIp;

    ConnectionLimiter(HttpLimits limits, MeterRegistry registry) {
        this.maxTotal = limits.maxConnections();
        this.maxPerIp = limits.maxConnectionsPerIp();
        Gauge.builder("http.connections.active", open, AtomicInteger::get).description("Open HTTP connections")
                .register(registry);
        this.refusedTotal = Counter.builder("http.connections.refused").tag("reason", "total")
                .description("Connections closed at once because the server was full").register(registry);
        this.refusedPerIp = Counter.builder("http.connections.refused").tag("reason", "per_ip")
                .description("Connections closed at once because their address had too many open").register(registry);
    }

    /**
     * Admits a freshly accepted channel (and releases it again when it closes), or returns false: the caller closes it.
     */
    boolean admit(Channel ch) {
        InetAddress address = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            refusedTotal.increment();
            return false;
        }
        AtomicInteger mine = perIp.compute(address, (a, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            c.incrementAndGet();
            return c;
        });
        if (mine.get() > maxPerIp) {
            release(address);
            refusedPerIp.increment();
            return false;
        }
        open.incrementAndGet();
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            release(address);
        });
        return true;
    }

    private void release(InetAddress address) {
        perIp.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        total.decrementAndGet();
    }

    /** Open connections now. */
    int open() {
        return open.get();
    }
}
