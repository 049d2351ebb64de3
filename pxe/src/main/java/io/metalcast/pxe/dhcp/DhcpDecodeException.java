package io.metalcast.pxe.dhcp;

/** A received datagram that is not a DHCP packet we can read. Counted as {@code malformed}, logged at debug only. */
public final class DhcpDecodeException extends Exception {
    private final MessageType type;

    DhcpDecodeException(MessageType type, String message) {
        super(message, null, false, false);
        this.type = type;
    }

    DhcpDecodeException(MessageType type, String message, Throwable cause) {
        super(message, cause, false, false);
        this.type = type;
    }

    /** The message type when it could be read before the packet was refused, else {@link MessageType#OTHER}. */
    public MessageType type() {
        return type;
    }
}
