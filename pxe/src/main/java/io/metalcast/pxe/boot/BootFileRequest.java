package io.metalcast.pxe.boot;

import java.net.InetAddress;
import java.util.Objects;

/**
 * A client asking for a boot file by path.
 *
 * @param path     the requested path, already normalised by {@link BootPaths}: relative, '/'-separated, no '.' or '..'
 *                 segments, no NUL, no backslash; may carry a query string for HTTP ({@code ipxe.cfg?x=y} is passed whole)
 * @param client   the address the request came from
 * @param protocol which server received it
 */
public record BootFileRequest(String path, InetAddress client, Protocol protocol) {
    public enum Protocol { TFTP, HTTP }

    public BootFileRequest {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(protocol, "protocol");
    }
}
