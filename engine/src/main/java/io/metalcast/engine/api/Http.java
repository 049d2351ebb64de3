package io.metalcast.engine.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Date;

/** Writes replies and counts them by route and status. Safe to call from any thread. */
final class Http {
    private final MeterRegistry registry;

    Http(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Writes {@code reply}; closes the connection afterwards unless {@code keepAlive}. {@code then} runs on the event
     * loop after the write (it may be null).
     */
    void send(ChannelHandlerContext ctx, String route, boolean keepAlive, Reply reply, Runnable then) {
        Counter.builder("api.requests").description("API requests by route and status").tag("route", route)
                .tag("status", Integer.toString(reply.status().code())).register(registry).increment();
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), Unpooled.wrappedBuffer(reply.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        res.headers().set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
        reply.headers().forEach(res.headers()::set);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
            if (!keepAlive || !f.isSuccess()) {
                f.channel().close();
            }
            if (then != null) {
                then.run();
            }
        });
    }
}
