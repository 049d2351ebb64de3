package io.metalcast.pxe.dhcp;

/** The DHCP server could not listen where it was configured to: missing interface, busy port, no permission. */
public final class DhcpBindException extends IllegalStateException {
    public DhcpBindException(String message) {
        super(message);
    }

    public DhcpBindException(String message, Throwable cause) {
        super(message, cause);
    }
}
