package io.metalcast.pxe.tftp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A decoded read or write request.
 *
 * @param write    true for WRQ, false for RRQ
 * @param filename the file name as sent (not yet normalised)
 * @param mode     {@code octet} or {@code netascii}, lower case
 * @param options  RFC 2347 options in the order sent, names lower case, first occurrence of a name wins
 */
public record TftpRequest(boolean write, String filename, String mode, Map<String, String> options) {
    public TftpRequest {
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(mode, "mode");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(options, "options")));
    }
}
