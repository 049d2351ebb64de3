package io.metalcast.pxe.dhcp;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;

/** A WARN that is written at most once per interval, with the number of times it was suppressed. */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(Logger log, long intervalMillis) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    void warn(String format, Object... args) {
        long now = System.nanoTime();
        long n = next.get();
        if ((n == Long.MIN_VALUE || now - n >= 0) && next.compareAndSet(n, now + intervalNanos)) {
            long s = suppressed.getAndSet(0);
            log.warn(s == 0 ? format : format + " (" + s + " similar suppressed)", args);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
