package io.metalcast.engine.api;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose client keeps the server waiting ({@link ApiLimits}): no complete request headers within
 * the header timeout, or a request body that stops arriving for the body idle time. Time counts only while the server
 * waits for the client: not while a full request is being answered, nor while reading is paused because the disk is
 * behind (auto-read off). Closing fires channelInactive, so a streamed upload aborts its partial chunk and frees the
 * file. Sits after the codec (it sees requests, contents and answers); one instance per connection, event loop only.
 */
final class IdleTimeouts extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(IdleTimeouts.class);

    private final long headerNanos;
    private final long bodyNanos;
    private final long tickNanos;
    private ScheduledFuture<?> tick;
    private boolean inBody;
    /** Full requests received and not yet answered (pipelining keeps more than one). */
    private int answering;
    /** Since when the server waits for headers (for the header timeout) or last read body bytes (for body idle). */
    private long since;

    IdleTimeouts(ApiLimits limits) {
        this.headerNanos = limits.headerTimeout().toNanos();
        this.bodyNanos = limits.bodyIdle().toNanos();
        this.tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(headerNanos, bodyNanos) / 8);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        since = System.nanoTime();
        if (ctx.channel().isActive()) {
            schedule(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        since = System.nanoTime();
        schedule(ctx);
        ctx.fireChannelActive();
    }

    private void schedule(ChannelHandlerContext ctx) {
        if (tick == null) {
            tick = ctx.executor().scheduleAtFixedRate(() -> check(ctx), tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            inBody = true;
        }
        if (msg instanceof LastHttpContent) {
            inBody = false;
            answering++;
        }
        since = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean informational = msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof LastHttpContent && !informational && answering > 0) {
            answering--;
            since = System.nanoTime();
        }
        ctx.write(msg, promise);
    }

    private void check(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        if (!ctx.channel().isActive()) {
            cancel();
            return;
        }
        if (!inBody && answering > 0 || !ctx.channel().config().isAutoRead()) {
            since = now; // the server is busy, not the client
            return;
        }
        long limit = inBody ? bodyNanos : headerNanos;
        if (now - since >= limit) {
            log.info("api: closing {}: {} for {} ms", ctx.channel().remoteAddress(), inBody ? "request body stalled" : "no request headers",
                    TimeUnit.NANOSECONDS.toMillis(now - since));
            cancel();
            ctx.close();
        }
    }
}
