package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.MacAddress;

import java.net.Inet4Address;
import java.util.Optional;

/**
 * The addresses the server hands out and who holds them. The server calls it from its blocking executor, so an
 * implementation may write to disk before it returns (a durable pool must not return from {@link #bind} before the
 * lease is stored). Implementations are thread-safe.
 */
public interface LeasePool {

    /**
     * Picks an address to offer and holds it for a short while. The same MAC gets the same address again while it is
     * free; a requested address is preferred when it is free.
     *
     * @return the address, or empty when the pool is exhausted
     */
    Optional<Inet4Address> offer(MacAddress mac, Optional<Inet4Address> requested);

    /** Leases the address to the MAC for the given time, when it is in the range and free or already the MAC's. */
    boolean bind(MacAddress mac, Inet4Address address, int leaseSeconds);

    /** Frees the address when the MAC holds it; false (and nothing changes) otherwise. */
    boolean release(MacAddress mac, Inet4Address address);

    /** The client found the address in use: hold it back from everyone for a while. False when the MAC did not hold it. */
    boolean decline(MacAddress mac, Inet4Address address);

    /** The client chose another server: drop the offer we made it, if any. */
    void forgetOffer(MacAddress mac);

    /** Leases bound and not expired. */
    int activeLeases();
}
