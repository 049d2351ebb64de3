package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.MacAddress;

import java.net.Inet4Address;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link LeasePool} in memory over one address range. Memory is bounded by the size of the range: an address keeps
 * the MAC that held it last until someone else needs it, which is how a returning MAC gets its old address back.
 */
public final class InMemoryLeasePool implements LeasePool {

    private enum State { OFFERED, BOUND, DECLINED }

    private static final class Entry {
        MacAddress mac;
        State state;
        long expiresAtMillis;
    }

    private final int start;
    private final int end;
    private final Set<Integer> excluded;
    private final long offerHoldMillis;
    private final long declineHoldMillis;
    private final Clock clock;
    private final Map<Integer, Entry> byAddress = new HashMap<>();
    private final Map<MacAddress, Integer> byMac = new HashMap<>();
    /** Every address below this (unsigned, within the range) has an entry. */
    private long nextFresh;

    /**
     * @param rangeStart   first address handed out
     * @param rangeEnd     last address handed out
     * @param excluded     addresses inside the range never handed out (our own, the router's)
     * @param offerHold    how long an offered address stays reserved for the MAC
     * @param declineHold  how long a declined address is held back
     * @param clock        time source
     */
    public InMemoryLeasePool(Inet4Address rangeStart, Inet4Address rangeEnd, Set<Inet4Address> excluded,
                             Duration offerHold, Duration declineHold, Clock clock) {
        this.start = Ipv4.toInt(rangeStart);
        this.end = Ipv4.toInt(rangeEnd);
        if (Integer.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("range: " + Ipv4.text(rangeStart) + "-" + Ipv4.text(rangeEnd) + " (expected: start <= end)");
        }
        this.excluded = new HashSet<>();
        for (Inet4Address a : excluded) {
            this.excluded.add(Ipv4.toInt(a));
        }
        this.offerHoldMillis = offerHold.toMillis();
        this.declineHoldMillis = declineHold.toMillis();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nextFresh = Integer.toUnsignedLong(start);
    }

    /** The pool for a server configuration: its range minus the server's and router's addresses. */
    public static InMemoryLeasePool forConfig(DhcpConfig config, Clock clock) {
        Set<Inet4Address> excluded = new HashSet<>();
        excluded.add(config.serverAddress());
        config.router().ifPresent(excluded::add);
        return new InMemoryLeasePool(config.rangeStart(), config.rangeEnd(), excluded, Duration.ofSeconds(60),
                Duration.ofSeconds(Math.max(600, config.leaseSeconds())), clock);
    }

    @Override
    public synchronized Optional<Inet4Address> offer(MacAddress mac, Optional<Inet4Address> requested) {
        long now = clock.millis();
        Integer known = byMac.get(mac);
        if (known != null) {
            Entry e = byAddress.get(known);
            if (e.state == State.BOUND && e.expiresAtMillis > now) {
                return Optional.of(Ipv4.fromInt(known));
            }
            e.state = State.OFFERED;
            e.expiresAtMillis = now + offerHoldMillis;
            return Optional.of(Ipv4.fromInt(known));
        }
        if (requested.isPresent()) {
            int r = Ipv4.toInt(requested.get());
            if (usable(r)) {
                Entry e = byAddress.get(r);
                if (e == null || e.expiresAtMillis <= now) {
                    assign(r, mac, State.OFFERED, now + offerHoldMillis);
                    return Optional.of(requested.get());
                }
            }
        }
        long last = Integer.toUnsignedLong(end);
        while (nextFresh <= last) {
            int a = (int) nextFresh++;
            if (!excluded.contains(a) && !byAddress.containsKey(a)) {
                assign(a, mac, State.OFFERED, now + offerHoldMillis);
                return Optional.of(Ipv4.fromInt(a));
            }
        }
        // Every address was used once: take the one that has been free the longest.
        Integer oldest = null;
        long oldestExpiry = Long.MAX_VALUE;
        for (Map.Entry<Integer, Entry> me : byAddress.entrySet()) {
            Entry e = me.getValue();
            if (e.expiresAtMillis <= now && e.expiresAtMillis < oldestExpiry) {
                oldest = me.getKey();
                oldestExpiry = e.expiresAtMillis;
            }
        }
        if (oldest == null) {
            return Optional.empty();
        }
        assign(oldest, mac, State.OFFERED, now + offerHoldMillis);
        return Optional.of(Ipv4.fromInt(oldest));
    }

    @Override
    public synchronized boolean bind(MacAddress mac, Inet4Address address, int leaseSeconds) {
        long now = clock.millis();
        int a = Ipv4.toInt(address);
        if (!usable(a)) {
            return false;
        }
        Entry e = byAddress.get(a);
        if (e != null && e.expiresAtMillis > now && !mac.equals(e.mac)) {
            return false; // held by another MAC, or declined
        }
        Integer previous = byMac.get(mac);
        if (previous != null && previous != a) {
            // One address per client: whatever else it held here is free now.
            byAddress.get(previous).expiresAtMillis = Math.min(byAddress.get(previous).expiresAtMillis, now);
        }
        assign(a, mac, State.BOUND, now + leaseSeconds * 1000L);
        return true;
    }

    @Override
    public synchronized boolean release(MacAddress mac, Inet4Address address) {
        long now = clock.millis();
        Entry e = byAddress.get(Ipv4.toInt(address));
        if (e == null || e.state != State.BOUND || !mac.equals(e.mac) || e.expiresAtMillis <= now) {
            return false;
        }
        e.expiresAtMillis = now; // free, but remembered for this MAC
        return true;
    }

    @Override
    public synchronized boolean decline(MacAddress mac, Inet4Address address) {
        long now = clock.millis();
        int a = Ipv4.toInt(address);
        Entry e = byAddress.get(a);
        if (e == null || e.state == State.DECLINED || !mac.equals(e.mac)) {
            return false;
        }
        byMac.remove(mac);
        e.mac = null;
        e.state = State.DECLINED;
        e.expiresAtMillis = now + declineHoldMillis;
        return true;
    }

    @Override
    public synchronized void forgetOffer(MacAddress mac) {
        Integer a = byMac.get(mac);
        if (a != null) {
            Entry e = byAddress.get(a);
            if (e.state == State.OFFERED) {
                e.expiresAtMillis = Math.min(e.expiresAtMillis, clock.millis());
            }
        }
    }

    @Override
    public synchronized int activeLeases() {
        long now = clock.millis();
        int n = 0;
        for (Entry e : byAddress.values()) {
            if (e.state == State.BOUND && e.expiresAtMillis > now) {
                n++;
            }
        }
        return n;
    }

    private boolean usable(int a) {
        return Integer.compareUnsigned(a, start) >= 0 && Integer.compareUnsigned(a, end) <= 0 && !excluded.contains(a);
    }

    private void assign(int a, MacAddress mac, State state, long expiresAt) {
        Entry e = byAddress.computeIfAbsent(a, k -> new Entry());
        if (e.mac != null && !e.mac.equals(mac)) {
            byMac.remove(e.mac, a);
        }
        e.mac = mac;
        e.state = state;
        e.expiresAtMillis = expiresAt;
        byMac.put(mac, a);
    }
}
