package io.metalcast.engine.api;

import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.metrics.EngineMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.HttpData;
import io.netty.handler.codec.http.multipart.HttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the two big request bodies to disk as they arrive (no aggregation): {@code POST boot-resources/} multipart
 * bodies larger than the aggregation limit (or without Content-Length), and the chunks of a chunked upload
 * ({@code PUT boot-resources/{id}/upload/{file_id}/}). Every other request passes through untouched. One instance per
 * connection. The key check, the decoding and the disk writes run on the blocking executor, one task after another in
 * arrival order; reading pauses while too many wait, so memory stays flat whatever the size.
 */
final class UploadHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);
    static final Pattern UPLOAD = Pattern.compile("/MAAS/api/2\\.0/boot-resources/([0-9]{1,18})/upload/([0-9]{1,18})/?");
    private static final int PAUSE_AT = 16;
    private static final long MAX_FIELD = 64 * 1024;

    private enum State { IDLE, PASS, STREAM, DISCARD, ANSWERING }

    /** Where one streamed request's body goes. Every method runs on the blocking executor, in order. */
    private interface Sink {
        /** The route name for metrics. */
        String route();

        /** Checks the key and the request before any body byte is taken. */
        void begin();

        /** Takes one piece of the body (the caller releases it). */
        void accept(HttpContent content) throws Exception;

        /** The body is complete: the answer. */
        Reply finish() throws Exception;

        /** The request failed or the connection dropped: undo what is incomplete. */
        void abort();
    }

    private final BootResources resources;
    private final EngineMetrics metrics;
    private final HttpDataFactory factory;
    private final Executor blocking;
    private final Http http;
    private final Creates creates;
    private final Authenticator auth;

    private State state = State.IDLE;
    private boolean keepAlive;
    private Reply discardReply;
    private String discardRoute;
    private Sink sink;
    private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    private final AtomicInteger pending = new AtomicInteger();
    /** First failure of the current request; written and read only by the chained tasks. */
    private Reply failure;

    UploadHandler(BootResources resources, EngineMetrics metrics, HttpDataFactory factory, Executor blocking, Http http, Creates creates,
                  Authenticator auth) {
        this.resources = resources;
        this.metrics = metrics;
        this.factory = factory;
        this.blocking = blocking;
        this.http = http;
        this.creates = creates;
        this.auth = auth;
    }

    /** True for a request whose body this handler streams. */
    static boolean isStreamed(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            return false;
        }
        try {
            QueryStringDecoder d = new QueryStringDecoder(req.uri());
            if (req.method().equals(HttpMethod.PUT)) {
                return UPLOAD.matcher(d.path()).matches();
            }
            if (req.method().equals(HttpMethod.POST) && ApiHandler.RESOURCES.matcher(d.path()).matches() && !d.parameters().containsKey("op")) {
                long length = HttpUtil.getContentLength(req, -1L);
                return length < 0 || length > ApiServer.MAX_BODY;
            }
            return false;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case PASS -> {
                if (msg instanceof LastHttpContent) {
                    state = State.IDLE;
                }
                ctx.fireChannelRead(msg);
            }
            case STREAM -> {
                if (msg instanceof HttpContent content) {
                    offer(ctx, content);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case DISCARD -> {
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    state = State.ANSWERING;
                    http.send(ctx, discardRoute, keepAlive, discardReply, () -> resume(ctx));
                }
            }
            default -> {
                if (msg instanceof HttpRequest req && isStreamed(req)) {
                    if (state == State.ANSWERING) {
                        // A second upload pipelined behind one still being stored: refuse rather than interleave.
                        ReferenceCountUtil.release(msg);
                        ctx.close();
                        return;
                    }
                    start(req);
                    if (msg instanceof HttpContent content) {
                        channelRead(ctx, content);
                    }
                } else {
                    if (msg instanceof HttpRequest && !(msg instanceof LastHttpContent)) {
                        state = State.PASS;
                    }
                    ctx.fireChannelRead(msg);
                }
            }
        }
    }

    private void start(HttpRequest req) {
        keepAlive = HttpUtil.isKeepAlive(req);
        String path = new QueryStringDecoder(req.uri()).path();
        Matcher m = UPLOAD.matcher(path);
        if (m.matches()) {
            sink = new ChunkSink(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), req.headers());
        } else {
            String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
            if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
                discard("upload", "Content-Type: '" + type + "' (expected: multipart/form-data with the form fields and a content part)");
                return;
            }
            HttpPostRequestDecoder decoder;
            try {
                decoder = new HttpPostRequestDecoder(factory, req);
            } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
                discard("upload", "Content-Type: '" + type + "' (expected: multipart/form-data with a boundary)");
                return;
            }
            sink = new MultipartSink(decoder, req.headers());
        }
        state = State.STREAM;
        Sink s = sink;
        chain = chain.handleAsync((v, err) -> {
            failure = null;
            try {
                s.begin();
            } catch (Rejected e) {
                failure = Reply.text(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
            } catch (RuntimeException e) {
                log.error("{}: {}", s.route(), e.toString(), e);
                failure = Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "upload failed: " + e.getClass().getSimpleName());
            }
            return null;
        }, blocking);
    }

    private void discard(String route, String reason) {
        metrics.upload("rejected");
        state = State.DISCARD;
        discardRoute = route;
        discardReply = Reply.text(HttpResponseStatus.BAD_REQUEST, reason);
    }

    private void offer(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        Sink s = sink;
        if (pending.incrementAndGet() >= PAUSE_AT) {
            ctx.channel().config().setAutoRead(false);
        }
        chain = chain.handleAsync((v, err) -> {
            try {
                if (failure == null) {
                    s.accept(content);
                }
            } catch (Rejected e) {
                failure = Reply.text(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
            } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
                failure = Reply.text(HttpResponseStatus.BAD_REQUEST, "content: not valid multipart/form-data (" + e.getMessage() + ")");
            } catch (Exception e) {
                log.error("{}: {}", s.route(), e.toString(), e);
                failure = Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "upload failed: " + e.getClass().getSimpleName());
            } finally {
                content.release();
            }
            if (pending.decrementAndGet() == 0 && !last) {
                ctx.channel().eventLoop().execute(() -> {
                    if (state == State.STREAM && !ctx.channel().config().isAutoRead()) {
                        ctx.channel().config().setAutoRead(true);
                        ctx.read();
                    }
                });
            }
            return null;
        }, blocking);
        if (last) {
            state = State.ANSWERING;
            ctx.channel().config().setAutoRead(false);
            sink = null;
            chain = chain.handleAsync((v, err) -> {
                Reply reply = failure;
                if (reply == null) {
                    try {
                        reply = s.finish();
                    } catch (Rejected e) {
                        reply = Reply.text(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
                    } catch (Exception e) {
                        log.error("{}: {}", s.route(), e.toString(), e);
                        reply = Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "upload failed: " + e.getClass().getSimpleName());
                    }
                }
                if (reply.status().code() >= 400) {
                    s.abort();
                }
                http.send(ctx, s.route(), keepAlive, reply, () -> resume(ctx));
                return null;
            }, blocking);
        }
    }

    private void resume(ChannelHandlerContext ctx) {
        state = State.IDLE;
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Sink s = sink;
        if (state == State.STREAM && s != null) {
            sink = null;
            chain = chain.handleAsync((v, err) -> {
                s.abort();
                return null;
            }, blocking);
        }
        ctx.fireChannelInactive();
    }

    /** {@code POST boot-resources/} streamed: fields and an optional content part, decoded to disk. */
    private final class MultipartSink implements Sink {
        private final HttpPostRequestDecoder decoder;
        private final HttpHeaders headers;
        private boolean destroyed;

        MultipartSink(HttpPostRequestDecoder decoder, HttpHeaders headers) {
            this.decoder = decoder;
            this.headers = headers;
        }

        @Override
        public String route() {
            return "upload";
        }

        @Override
        public void begin() {
            auth.check(headers);
        }

        @Override
        public void accept(HttpContent content) {
            decoder.offer(content);
        }

        @Override
        public Reply finish() throws Exception {
            try {
                Map<String, String> fields = new LinkedHashMap<>();
                HttpData content = null;
                for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                    if (!(data instanceof HttpData h)) {
                        continue;
                    }
                    if (data.getName().equals("content")) {
                        content = h;
                    } else if (data instanceof Attribute a) {
                        if (a.length() > MAX_FIELD) {
                            throw Rejected.invalid(a.getName(), a.length() + " bytes", "at most " + MAX_FIELD + " bytes");
                        }
                        fields.putIfAbsent(a.getName(), a.getValue());
                    }
                }
                Path file = null;
                if (content != null) {
                    if (content.isInMemory()) {
                        file = Files.createTempFile(resources.store().tmpDir(), "upload-", ".part");
                        Files.write(file, content.get());
                    } else {
                        file = content.getFile().toPath();
                    }
                }
                return creates.create(fields, file);
            } finally {
                abort();
            }
        }

        @Override
        public void abort() {
            if (!destroyed) {
                destroyed = true;
                decoder.destroy();
            }
        }
    }

    /** {@code PUT boot-resources/{id}/upload/{file_id}/}: one chunk appended to the partial file. */
    private final class ChunkSink implements Sink {
        private final long resourceId;
        private final long fileId;
        private final HttpHeaders headers;
        private BootResources.Appender appender;

        ChunkSink(long resourceId, long fileId, HttpHeaders headers) {
            this.resourceId = resourceId;
            this.fileId = fileId;
            this.headers = headers;
        }

        @Override
        public String route() {
            return "upload_chunk";
        }

        @Override
        public void begin() {
            auth.check(headers);
            String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
            if (length == null) {
                throw Rejected.missing("Content-Length", "the chunk's size in bytes");
            }
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw Rejected.invalid("Content-Length", length, "a number of bytes");
            }
            appender = resources.append(resourceId, fileId, n);
        }

        @Override
        public void accept(HttpContent content) throws Exception {
            ByteBuf buf = content.content();
            if (!buf.isReadable()) {
                return;
            }
            for (ByteBuffer b : buf.nioBuffers(buf.readerIndex(), buf.readableBytes())) {
                appender.write(b);
            }
        }

        @Override
        public Reply finish() {
            boolean complete = appender.finish();
            appender = null;
            if (complete) {
                metrics.upload("stored");
                log.info("boot resource {} file {}: upload complete, sha256 verified", resourceId, fileId);
            }
            return new Reply(HttpResponseStatus.OK, "text/plain; charset=utf-8", "OK".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    Map.of());
        }

        @Override
        public void abort() {
            if (appender != null) {
                appender.abort();
                appender = null;
            }
        }
    }
}
