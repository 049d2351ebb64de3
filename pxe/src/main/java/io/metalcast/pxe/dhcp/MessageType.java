package io.metalcast.pxe.dhcp;

import java.util.Locale;

/** The DHCP message types a server receives (option 53), as counted in {@code dhcp.packets{type}}. */
public enum MessageType {
    DISCOVER, REQUEST, RELEASE, DECLINE, INFORM, OTHER;

    static MessageType ofCode(int code) {
        return switch (code) {
            case 1 -> DISCOVER;
            case 3 -> REQUEST;
            case 4 -> DECLINE;
            case 7 -> RELEASE;
            case 8 -> INFORM;
            default -> OTHER;
        };
    }

    /** The metric tag value. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
