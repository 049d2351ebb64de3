package io.metalcast.pxe.dhcp;

import java.util.Locale;

/**
 * What became of one received packet, as counted in {@code dhcp.packets{result}}. {@code ACK} also stands for a
 * RELEASE or DECLINE that was applied (those get no reply).
 */
public enum DhcpResult {
    OFFER, ACK, NAK,
    /** Valid, but we could not serve it (pool exhausted, overload, policy failure). */
    DROPPED,
    /** Valid, and deliberately not answered (another server chosen, PXE client the policy does not boot, a reply). */
    IGNORED,
    /** Broken or unsupported bytes. */
    MALFORMED;

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
