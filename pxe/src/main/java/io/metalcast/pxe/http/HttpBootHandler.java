package io.metalcast.pxe.http;

import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPaths;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.net.BootFiles;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of the boot HTTP server. Requests are served one at a time: reading pauses (autoRead off) while the
 * policy and the file are opened on the blocking executor and while the response is written, so pipelined requests
 * are answered in order. Only the writes happen on the event loop.
 */
final class HttpBootHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpBootHandler.class);

    private final BootPolicy policy;
    private final Executor blocking;
    private final MeterRegistry registry;
    private final HttpMeters meters;
    /** Body bytes sent over this connection. */
    private long connectionBytes;
    private final HttpLimits limits;
    private ScheduledFuture<?> headerTimer;
    /** True from a request head until its response is written: further input waits. */
    private boolean busy;
    /** Messages decoded while busy, in arrival order. */
    private final java.util.ArrayDeque<Object> pending = new java.util.ArrayDeque<>();
    private static final int MAX_PENDING = 64;

    HttpBootHandler(BootPolicy policy, Executor blocking, MeterRegistry registry, HttpMeters meters, HttpLimits limits) {
        this.policy = policy;
        this.blocking = blocking;
        this.registry = registry;
        this.meters = meters;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armHeaderTimer(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHeaderTimer();
        meters.connectionBytes.record(connectionBytes);
        for (Object m; (m = pending.poll()) != null; ) {
            ReferenceCountUtil.release(m);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (busy) {
            // Pipelined input decoded from the same read: answered in order once the current response is written.
            if (pending.size() >= MAX_PENDING) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            pending.add(msg);
            return;
        }
        try {
            if (msg instanceof HttpRequest request) {
                cancelHeaderTimer();
                handle(ctx, request);
            }
            // HttpContent (request bodies) is discarded: GET and HEAD carry none worth reading.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            LOG.warn("http: closing {} after {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }

    private void armHeaderTimer(ChannelHandlerContext ctx) {
        cancelHeaderTimer();
        headerTimer = ctx.executor().schedule(() -> {
            if (!busy) {
                ctx.close();
            }
        }, limits.headerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelHeaderTimer() {
        if (headerTimer != null) {
            headerTimer.cancel(false);
            headerTimer = null;
        }
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest request) {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            if (cause instanceof TooLongHttpLineException) {
                reply(ctx, request, HttpResponseStatus.REQUEST_URI_TOO_LONG, "too_long", false);
            } else if (cause instanceof TooLongHttpHeaderException) {
                reply(ctx, request, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too_long", false);
            } else {
                reply(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad_request", false);
            }
            return;
        }
        HttpHeaders headers = request.headers();
        boolean smuggling = headers.contains(HttpHeaderNames.TRANSFER_ENCODING) && headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                || headers.getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1
                || headers.getAll(HttpHeaderNames.HOST).size() > 1;
        if (smuggling) {
            reply(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad_request", false);
            return;
        }
        HttpMethod method = request.method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse r = response(request, HttpResponseStatus.METHOD_NOT_ALLOWED);
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            send(ctx, request, r, "method_not_allowed", false);
            return;
        }
        Optional<String> path = requestPath(request.uri());
        if (path.isEmpty()) {
            reply(ctx, request, HttpResponseStatus.BAD_REQUEST, "refused", HttpUtil.isKeepAlive(request));
            return;
        }
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        BootFileRequest bootRequest = new BootFileRequest(path.get(), remote.getAddress(), BootFileRequest.Protocol.HTTP);
        busy = true;
        ctx.channel().config().setAutoRead(false);
        try {
            blocking.execute(() -> {
                Prepared prepared = prepare(bootRequest);
                try {
                    ctx.executor().execute(() -> respond(ctx, request, prepared));
                } catch (RejectedExecutionException shuttingDown) {
                    if (prepared.file != null) {
                        closeQuietly(prepared.file);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            reply(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy", false);
        }
    }

    /**
     * The path part of a request target, percent-decoded once and normalised, with the raw query (if any) appended
     * after '?' as {@link BootFileRequest} documents; empty when refused.
     */
    static Optional<String> requestPath(String uri) {
        String target = uri;
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        if (!target.startsWith("/")) {
            return Optional.empty();
        }
        int hash = target.indexOf('#');
        if (hash >= 0) {
            target = target.substring(0, hash);
        }
        int queryStart = target.indexOf('?');
        String rawPath = (queryStart < 0 ? target : target.substring(0, queryStart)).toLowerCase(java.util.Locale.ROOT);
        if (rawPath.contains("%2f") || rawPath.contains("%5c")) {
            return Optional.empty(); // an encoded separator is never needed for a boot file; refuse it outright
        }
        QueryStringDecoder decoder;
        String decodedPath;
        try {
            decoder = new QueryStringDecoder(target, StandardCharsets.UTF_8, true);
            decodedPath = decoder.path();
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // bad percent-encoding
        }
        Optional<String> normalised = BootPaths.normalise(decodedPath);
        String query = decoder.rawQuery();
        return query.isEmpty() ? normalised : normalised.map(p -> p + "?" + query);
    }

    /** What the blocking executor found: content to send, or a status to answer with. */
    private record Prepared(BootContent.Generated generated, BootFiles.Opened file, String contentType,
                            HttpResponseStatus error, String result) {
    }

    private Prepared prepare(BootFileRequest request) {
        try {
            Optional<BootContent> content = policy.open(request);
            if (content.isEmpty()) {
                return failure(HttpResponseStatus.NOT_FOUND, "not_found");
            }
            if (content.get() instanceof BootContent.Generated g) {
                return new Prepared(g, null, g.contentType(), null, null);
            }
            BootContent.OnDisk onDisk = (BootContent.OnDisk) content.get();
            return new Prepared(null, BootFiles.open(onDisk.file()), onDisk.contentType(), null, null);
        } catch (BootFiles.SymlinkEscapeException e) {
            return failure(HttpResponseStatus.FORBIDDEN, "forbidden");
        } catch (NoSuchFileException | BootFiles.NotRegularFileException e) {
            return failure(HttpResponseStatus.NOT_FOUND, "not_found");
        } catch (IOException | RuntimeException e) {
            LOG.warn("http: opening {} failed", request.path(), e);
            return failure(HttpResponseStatus.INTERNAL_SERVER_ERROR, "error");
        }
    }

    private static Prepared failure(HttpResponseStatus status, String result) {
        return new Prepared(null, null, null, status, result);
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest request, Prepared prepared) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!ctx.channel().isActive()) {
            if (prepared.file != null) {
                closeQuietly(prepared.file);
            }
            return;
        }
        if (prepared.error != null) {
            reply(ctx, request, prepared.error, prepared.result, keepAlive);
        } else if (prepared.generated != null) {
            sendGenerated(ctx, request, prepared.generated, keepAlive);
        } else {
            sendFile(ctx, request, prepared.file, prepared.contentType, keepAlive);
        }
    }

    private void sendGenerated(ChannelHandlerContext ctx, HttpRequest request, BootContent.Generated g, boolean keepAlive) {
        boolean head = HttpMethod.HEAD.equals(request.method());
        ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(g.bytes());
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, g.contentType())
                .set(HttpHeaderNames.CONTENT_LENGTH, g.bytes().length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        send(ctx, request, r, "ok", keepAlive);
    }

    private void sendFile(ChannelHandlerContext ctx, HttpRequest request, BootFiles.Opened file, String contentType,
                          boolean keepAlive) {
        long size = file.size();
        long modifiedSeconds = Math.floorDiv(file.lastModifiedMillis(), 1000L);
        String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(file.lastModifiedMillis()) + "\"";
        String lastModified = DateTimeFormatter.RFC_1123_DATE_TIME
                .format(Instant.ofEpochSecond(modifiedSeconds).atZone(ZoneOffset.UTC));
        HttpHeaders requestHeaders = request.headers();
        if (notModified(requestHeaders, etag, modifiedSeconds)) {
            closeQuietly(file);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
            r.headers().set(HttpHeaderNames.ETAG, etag).set(HttpHeaderNames.LAST_MODIFIED, lastModified);
            send(ctx, request, r, "not_modified", keepAlive);
            return;
        }
        String rangeHeader = requestHeaders.get(HttpHeaderNames.RANGE);
        String ifRange = requestHeaders.get(HttpHeaderNames.IF_RANGE);
        if (ifRange != null && !ifRange.trim().equals(etag) && !ifRange.trim().equals(lastModified)) {
            rangeHeader = null; // the client's copy is stale: send the whole current file
        }
        ByteRange range = ByteRange.parse(rangeHeader, size);
        boolean head = HttpMethod.HEAD.equals(request.method());

        HttpResponseStatus status;
        long first = 0;
        long length = size;
        String result = "ok";
        if (range instanceof ByteRange.Unsatisfiable) {
            closeQuietly(file);
            FullHttpResponse r = response(request, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
            r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size)
                    .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
            send(ctx, request, r, "unsatisfiable", keepAlive);
            return;
        } else if (range instanceof ByteRange.Partial p) {
            status = HttpResponseStatus.PARTIAL_CONTENT;
            first = p.first();
            length = p.length();
            result = "partial";
        } else {
            status = HttpResponseStatus.OK;
        }
        HttpResponse r = head
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER)
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, length)
                .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.LAST_MODIFIED, lastModified);
        if (status == HttpResponseStatus.PARTIAL_CONTENT) {
            h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + first + "-" + (first + length - 1) + "/" + size);
        }
        connection(h, request, keepAlive);
        count(request, result);
        if (head || length == 0) {
            closeQuietly(file);
            if (!head) {
                ctx.write(r);
                finish(ctx, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
            } else {
                finish(ctx, ctx.writeAndFlush(r), keepAlive);
            }
            return;
        }
        // Corked while the body goes out (headers and file data share full segments, no partial segment after each
        // sendfile); uncorked once the response is written, which pushes out its tail at once.
        EpollSocketChannel corked = ctx.channel() instanceof EpollSocketChannel e ? e : null;
        if (corked != null) {
            corked.config().setTcpCork(true);
        }
        ctx.write(r, ctx.voidPromise());
        // The region owns the file channel from here on: it closes it when released, on every path.
        ChannelFuture body = ctx.write(new DefaultFileRegion(file.channel(), first, length), ctx.newProgressivePromise());
        body.addListener(new BodyProgress(System.nanoTime(), length));
        ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (corked != null) {
            last.addListener(f -> uncork(corked));
        }
        finish(ctx, last, keepAlive);
    }

    /** Counts body bytes as they leave, and the body's rate once the last byte is written. */
    private final class BodyProgress implements ChannelProgressiveFutureListener {
        private final long started;
        private final long length;
        private long counted;

        BodyProgress(long started, long length) {
            this.started = started;
            this.length = length;
        }

        @Override
        public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
            account(progress);
        }

        @Override
        public void operationComplete(ChannelProgressiveFuture future) {
            if (future.isSuccess()) {
                account(length);
                long nanos = Math.max(1, System.nanoTime() - started);
                meters.transferRate.record(length * 1e9 / nanos);
            }
        }

        private void account(long progress) {
            if (progress > counted) {
                long delta = progress - counted;
                counted = progress;
                meters.bytes.increment(delta);
                connectionBytes += delta;
            }
        }
    }

    /**
     * RFC 9110 section 13.2.2 for GET and HEAD: If-None-Match decides when present (weak comparison, {@code *} matches
     * any); otherwise If-Modified-Since, compared at one-second resolution. A malformed or future date is ignored.
     */
    static boolean notModified(HttpHeaders headers, String etag, long modifiedSeconds) {
        String inm = headers.get(HttpHeaderNames.IF_NONE_MATCH);
        if (inm != null) {
            String opaque = etag.startsWith("W/") ? etag.substring(2) : etag;
            for (String candidate : inm.split(",")) {
                String c = candidate.trim();
                if (c.equals("*") || (c.startsWith("W/") ? c.substring(2) : c).equals(opaque)) {
                    return true;
                }
            }
            return false;
        }
        String ims = headers.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ims == null) {
            return false;
        }
        try {
            long since = DateTimeFormatter.RFC_1123_DATE_TIME.parse(ims.trim(), Instant::from).getEpochSecond();
            return modifiedSeconds <= since && since <= Instant.now().getEpochSecond();
        } catch (DateTimeException e) {
            return false;
        }
    }

    private FullHttpResponse response(HttpRequest request, HttpResponseStatus status) {
        boolean head = HttpMethod.HEAD.equals(request.method());
        byte[] text = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(text));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=us-ascii")
                .set(HttpHeaderNames.CONTENT_LENGTH, text.length);
        return r;
    }

    /** A small error answer. {@code keepAlive} false closes the connection after it. */
    private void reply(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String result, boolean keepAlive) {
        send(ctx, request, response(request, status), result, keepAlive);
    }

    private void send(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse r, String result, boolean keepAlive) {
        connection(r.headers(), request, keepAlive);
        busy = true;
        ctx.channel().config().setAutoRead(false);
        count(request, result);
        finish(ctx, ctx.writeAndFlush(r), keepAlive);
    }

    /** {@code Connection: close} when closing; {@code keep-alive} for HTTP/1.0 clients that asked to keep it. */
    private static void connection(HttpHeaders h, HttpRequest request, boolean keepAlive) {
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** Counts a request before its response goes out (so a client that has the answer also sees the count). */
    private void count(HttpRequest request, String result) {
        String method = HttpMethod.GET.equals(request.method()) ? "GET"
                : HttpMethod.HEAD.equals(request.method()) ? "HEAD" : "OTHER";
        registry.counter("http.requests", "method", method, "result", result).increment();
    }

    /** After the last write: close, or go on with the next request. */
    private void finish(ChannelHandlerContext ctx, ChannelFuture last, boolean keepAlive) {
        last.addListener((ChannelFuture f) -> {
            if (!f.isSuccess() || !keepAlive) {
                f.channel().close();
                return;
            }
            busy = false;
            while (!busy && !pending.isEmpty()) {
                channelRead(ctx, pending.poll());
            }
            if (!busy && f.channel().isActive()) {
                armHeaderTimer(ctx);
                f.channel().config().setAutoRead(true);
                f.channel().read();
            }
        });
    }

    private static void uncork(EpollSocketChannel ch) {
        if (ch.isOpen()) {
            try {
                ch.config().setTcpCork(false);
            } catch (ChannelException closedMeanwhile) {
                // nothing left to push out
            }
        }
    }

    private static void closeQuietly(BootFiles.Opened file) {
        try {
            file.channel().close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
