package io.metalcast.pxe.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder with strict line parsing, no duplicate Content-Length, and one change: a message carrying both
 * Transfer-Encoding and Content-Length keeps both headers, so {@link HttpBootHandler} can refuse it (request smuggling)
 * instead of Netty quietly dropping Content-Length.
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

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Keep both headers: the handler answers 400 and closes.
    }
}
