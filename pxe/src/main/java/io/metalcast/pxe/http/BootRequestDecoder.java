package io.metalcast.pxe.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder configured for the boot server: size limits from {@link HttpLimits}, strict line parsing
 * (no bare LF), no duplicate Content-Length. Netty refuses Content-Length together with Transfer-Encoding itself;
 * {@link HttpBootHandler} checks framing headers again before answering.
 */
final class BootRequestDecoder extends HttpRequestDecoder {
    BootRequestDecoder(HttpLimits limits) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(8192)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true));
    }
}
