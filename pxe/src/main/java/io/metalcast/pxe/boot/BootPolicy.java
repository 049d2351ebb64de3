package io.metalcast.pxe.boot;

import java.util.Optional;

/**
 * Decides what machines boot. The engine implements it; the protocol servers only parse, ask, encode and send.
 *
 * <p>Both methods may block (database, disk): servers call them on the blocking executor they were given, never on an
 * event loop. An empty answer means "ignore this client" (DHCP) or "not found" (TFTP/HTTP).
 */
public interface BootPolicy {

    /** What a PXE client should boot. Called for DISCOVER and REQUEST of a client that sent PXE or iPXE markers. */
    Optional<DhcpBoot> dhcpBoot(BootClient client);

    /** Opens a boot file. The path is normalised already; the policy maps it to published content only. */
    Optional<BootContent> open(BootFileRequest request);
}
