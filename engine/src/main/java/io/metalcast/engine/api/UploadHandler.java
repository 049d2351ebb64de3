package io.metalcast.engine.api;

import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.metrics.EngineMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams {@code POST /MAAS/api/2.0/boot-resources/} multipart bodies to disk as they arrive (no aggregation), then
 * stores the image and records the resource. Every other request passes through untouched. One instance per
 * connection. The decoder runs on the blocking executor, one chunk after another in arrival order; reading pauses
 * while too many chunks wait.
 */
final class UploadHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);
    private static final int PAUSE_AT = 16;
    private static final long MAX_FIELD = 64 * 1024;

    private enum State { IDLE, PASS, UPLOAD, DISCARD, ANSWERING }

    private final BootResources resources;
    private final EngineMetrics metrics;
    private final HttpDataFactory factory;
    private final Executor blocking;
    private final Http http;
    private final MaasJson json;

    private State state = State.IDLE;
    private boolean keepAlive;
    private String discardReason;
    private HttpPostRequestDecoder decoder;
    private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    private final AtomicInteger pending = new AtomicInteger();
    /** First decoding error; written and read only by the chained tasks. */
    private String failure;

    UploadHandler(BootResources resources, EngineMetrics metrics, HttpDataFactory factory, Executor blocking, Http http, MaasJson json) {
        this.resources = resources;
        this.metrics = metrics;
        this.factory = factory;
        this.blocking = blocking;
        this.http = http;
        this.json = json;
    }

    static boolean isUpload(HttpRequest req) {
        if (!req.method().equals(HttpMethod.POST) || req.decoderResult().isFailure()) {
            return false;
        }
        QueryStringDecoder d;
        try {
            d = new QueryStringDecoder(req.uri());
            return ApiHandler.RESOURCES.matcher(d.path()).matches() && !d.parameters().containsKey("op");
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
            case UPLOAD -> {
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
                    metrics.upload("rejected");
                    http.send(ctx, "upload", keepAlive, Reply.text(HttpResponseStatus.BAD_REQUEST, discardReason), () -> resume(ctx));
                }
            }
            default -> {
                if (state == State.ANSWERING && msg instanceof HttpRequest req && isUpload(req)) {
                    // A second upload pipelined behind one still being stored: refuse rather than interleave.
                    ReferenceCountUtil.release(msg);
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpRequest req && isUpload(req)) {
                    start(ctx, req);
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

    private void start(ChannelHandlerContext ctx, HttpRequest req) {
        keepAlive = HttpUtil.isKeepAlive(req);
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            state = State.DISCARD;
            discardReason = "Content-Type: '" + type + "' (expected: multipart/form-data with a content file part)";
            return;
        }
        try {
            decoder = new HttpPostRequestDecoder(factory, req);
        } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
            state = State.DISCARD;
            discardReason = "Content-Type: '" + type + "' (expected: multipart/form-data with a boundary)";
            return;
        }
        failure = null;
        state = State.UPLOAD;
    }

    private void offer(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        HttpPostRequestDecoder d = decoder;
        if (pending.incrementAndGet() >= PAUSE_AT) {
            ctx.channel().config().setAutoRead(false);
        }
        chain = chain.handleAsync((v, err) -> {
            try {
                if (failure == null) {
                    d.offer(content);
                }
            } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
                failure = "content: not valid multipart/form-data (" + e.getMessage() + ")";
            } catch (RuntimeException e) {
                failure = "content: cannot be read (" + e + ")";
            } finally {
                content.release();
            }
            if (pending.decrementAndGet() == 0 && !last) {
                ctx.channel().eventLoop().execute(() -> {
                    if (state == State.UPLOAD && !ctx.channel().config().isAutoRead()) {
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
            decoder = null;
            chain = chain.handleAsync((v, err) -> {
                Reply reply = finish(d);
                http.send(ctx, "upload", keepAlive, reply, () -> resume(ctx));
                return null;
            }, blocking);
        }
    }

    private Reply finish(HttpPostRequestDecoder d) {
        try {
            if (failure != null) {
                metrics.upload("rejected");
                return Reply.text(HttpResponseStatus.BAD_REQUEST, failure);
            }
            Map<String, String> fields = new LinkedHashMap<>();
            HttpData content = null;
            for (InterfaceHttpData data : d.getBodyHttpDatas()) {
                if (!(data instanceof HttpData h)) {
                    continue;
                }
                if (data.getName().equals("content")) {
                    content = h;
                } else if (data instanceof Attribute a) {
                    if (a.length() > MAX_FIELD) {
                        metrics.upload("rejected");
                        return Reply.text(HttpResponseStatus.BAD_REQUEST, a.getName() + ": " + a.length() + " bytes (expected: at most "
                                + MAX_FIELD + ")");
                    }
                    fields.putIfAbsent(a.getName(), a.getValue());
                }
            }
            BootResources.UploadForm form = resources.check(fields);
            if (content == null) {
                throw Rejected.missing("content", "the image file as a multipart part named content");
            }
            if (content.length() == 0) {
                throw Rejected.invalid("content", "0 bytes", "a non-empty image file");
            }
            Path file;
            if (content.isInMemory()) {
                file = Files.createTempFile(resources.store().tmpDir(), "upload-", ".part");
                Files.write(file, content.get());
            } else {
                file = content.getFile().toPath();
            }
            BootResource stored = resources.upload(form, file);
            metrics.upload("stored");
            log.info("boot resource {} {} stored: {} bytes, sha256 {}", stored.resource().name(), stored.resource().architecture(),
                    stored.files().get(stored.files().size() - 1).size(), stored.files().get(stored.files().size() - 1).sha256());
            return Reply.json(HttpResponseStatus.CREATED, json.write(MaasJson.resource(stored, true)));
        } catch (Rejected e) {
            metrics.upload("rejected");
            return Reply.text(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
        } catch (IOException | RuntimeException e) {
            metrics.upload("failed");
            log.error("upload failed: {}", e.toString(), e);
            return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "upload failed: " + e.getClass().getSimpleName());
        } finally {
            d.destroy();
        }
    }

    private void resume(ChannelHandlerContext ctx) {
        state = State.IDLE;
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        HttpPostRequestDecoder d = decoder;
        if (state == State.UPLOAD && d != null) {
            decoder = null;
            chain = chain.handleAsync((v, err) -> {
                d.destroy();
                return null;
            }, blocking);
        }
        ctx.fireChannelInactive();
    }
}
