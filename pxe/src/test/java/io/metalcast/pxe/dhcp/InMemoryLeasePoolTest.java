package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.MacAddress;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import static io.metalcast.pxe.dhcp.Packets.MAC;
import static io.metalcast.pxe.dhcp.Packets.OTHER_MAC;
import static io.metalcast.pxe.dhcp.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryLeasePoolTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final ManualClock clock = new ManualClock();

    InMemoryLeasePool pool(String start, String end, Inet4Address... excluded) {
        return new InMemoryLeasePool(ip(start), ip(end), Set.of(excluded), Duration.ofSeconds(60), Duration.ofSeconds(600), clock);
    }


    @Test
    void sameMacGetsSameAddressAcrossOffersBindsAndRelease() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.20");
        Inet4Address a = p.offer(MAC, Optional.empty()).orElseThrow();
        assertEquals(a, p.offer(MAC, Optional.empty()).orElseThrow());
        assertTrue(p.bind(MAC, a, 600));
        assertEquals(1, p.activeLeases());
        assertEquals(a, p.offer(MAC, Optional.empty()).orElseThrow());
        assertTrue(p.release(MAC, a));
        assertEquals(0, p.activeLeases());
        p.offer(OTHER_MAC, Optional.empty()).orElseThrow();
        assertEquals(a, p.offer(MAC, Optional.empty()).orElseThrow(), "a released address is remembered for its MAC");
    }

    @Test
    void excludedAddressesAreNeverOffered() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.12", ip("10.0.0.10"), ip("10.0.0.12"));
        assertEquals(ip("10.0.0.11"), p.offer(MAC, Optional.empty()).orElseThrow());
        assertEquals(Optional.empty(), p.offer(OTHER_MAC, Optional.of(ip("10.0.0.12"))));
        assertFalse(p.bind(OTHER_MAC, ip("10.0.0.10"), 600));
    }

    @Test
    void requestedAddressIsPreferredWhenFree() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.20");
        assertEquals(ip("10.0.0.15"), p.offer(MAC, Optional.of(ip("10.0.0.15"))).orElseThrow());
        assertEquals(ip("10.0.0.10"), p.offer(OTHER_MAC, Optional.of(ip("10.0.0.15"))).orElseThrow());
        assertEquals(ip("10.0.0.11"), p.offer(Packets.mac(3), Optional.of(ip("10.9.9.9"))).orElseThrow());
    }

    @Test
    void exhaustionThenOffersExpireAndAddressesComeBack() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.13");
        Set<Inet4Address> given = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            given.add(p.offer(Packets.mac(i), Optional.empty()).orElseThrow());
        }
        assertEquals(4, given.size());
        assertEquals(Optional.empty(), p.offer(Packets.mac(99), Optional.empty()));
        clock.advance(Duration.ofSeconds(61));
        assertTrue(given.contains(p.offer(Packets.mac(99), Optional.empty()).orElseThrow()));
    }

    @Test
    void leasesExpire() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.10");
        assertTrue(p.bind(MAC, ip("10.0.0.10"), 120));
        assertFalse(p.bind(OTHER_MAC, ip("10.0.0.10"), 120));
        clock.advance(Duration.ofSeconds(119));
        assertEquals(1, p.activeLeases());
        clock.advance(Duration.ofSeconds(2));
        assertEquals(0, p.activeLeases());
        assertTrue(p.bind(OTHER_MAC, ip("10.0.0.10"), 120));
    }

    @Test
    void releaseWithSomeoneElsesMacKeepsTheLease() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.20");
        assertTrue(p.bind(MAC, ip("10.0.0.10"), 600));
        assertFalse(p.release(OTHER_MAC, ip("10.0.0.10")));
        assertEquals(1, p.activeLeases());
        assertFalse(p.bind(OTHER_MAC, ip("10.0.0.10"), 600));
    }

    @Test
    void declinedAddressIsHeldBackFromEveryone() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.11");
        Inet4Address a = p.offer(MAC, Optional.empty()).orElseThrow();
        assertTrue(p.bind(MAC, a, 600));
        assertFalse(p.decline(OTHER_MAC, a));
        assertTrue(p.decline(MAC, a));
        assertEquals(0, p.activeLeases());
        Inet4Address b = p.offer(MAC, Optional.of(a)).orElseThrow();
        assertFalse(a.equals(b), "the declined address is not offered again");
        assertFalse(p.bind(OTHER_MAC, a, 600));
        assertEquals(Optional.empty(), p.offer(OTHER_MAC, Optional.empty()));
        clock.advance(Duration.ofSeconds(601));
        assertTrue(p.bind(OTHER_MAC, a, 600), "the hold ends");
    }

    @Test
    void bindingElsewhereFreesTheOldAddressAndForgetOfferFreesAnOffer() {
        InMemoryLeasePool p = pool("10.0.0.10", "10.0.0.11");
        assertTrue(p.bind(MAC, ip("10.0.0.10"), 600));
        assertTrue(p.bind(MAC, ip("10.0.0.11"), 600));
        assertEquals(1, p.activeLeases());
        assertTrue(p.bind(OTHER_MAC, ip("10.0.0.10"), 600));
        InMemoryLeasePool q = pool("10.0.0.10", "10.0.0.10");
        q.offer(MAC, Optional.empty()).orElseThrow();
        assertEquals(Optional.empty(), q.offer(OTHER_MAC, Optional.empty()));
        q.forgetOffer(MAC);
        assertEquals(ip("10.0.0.10"), q.offer(OTHER_MAC, Optional.empty()).orElseThrow());
    }

    @Test
    void largeRangeFillsInOrderWithoutScanningAgain() {
        InMemoryLeasePool p = pool("10.0.0.1", "10.0.255.254");
        for (int i = 0; i < 5000; i++) {
            assertEquals(Ipv4.fromInt(Ipv4.toInt(ip("10.0.0.1")) + i), p.offer(Packets.mac(i), Optional.empty()).orElseThrow());
        }
    }
}
