package io.metalcast.engine.ephemeral.simplestreams;

import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A mirror over HTTP(S) with {@code java.net.http}. Bodies stream into the sink one buffer at a time (demand of one), so
 * memory stays flat; a transfer that makes no progress for {@code idleTimeout} is cancelled.
 */
final class HttpMirror implements Mirror {
    private final MirrorLocation location;
    private final HttpClient client;
    private final Duration idleTimeout;

    HttpMirror(MirrorLocation location, HttpClient client, Duration idleTimeout) {
        this.location = location;
        this.client = client;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public MirrorLocation location() {
        return location;
    }

    @Override
    public void fetch(String path, DownloadSink sink) throws IOException, InterruptedException {
        URI uri = uri(path);
        HttpRequest request = HttpRequest.newBuilder(uri).header("Accept-Encoding", "identity").GET().build();
        SinkSubscriber[] holder = new SinkSubscriber[1];
        HttpResponse.BodyHandler<Void> handler = info -> {
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.replacing(null);
            }
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > sink.limit()) {
                SinkSubscriber refused = new SinkSubscriber(sink, new SimplestreamsException(Kind.SIZE_EXCEEDED, sink.what() + ": "
                        + uri + " announces " + declared + " bytes (expected: at most " + sink.limit() + ")"));
                holder[0] = refused;
                return refused;
            }
            SinkSubscriber s = new SinkSubscriber(sink, null);
            holder[0] = s;
            return s;
        };
        CompletableFuture<HttpResponse<Void>> future = client.sendAsync(request, handler);
        HttpResponse<Void> response;
        long lastCount = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            try {
                response = future.get(Math.min(1000, idleTimeout.toMillis()), TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                long now = System.nanoTime();
                if (sink.count() != lastCount) {
                    lastCount = sink.count();
                    lastProgress = now;
                } else if (now - lastProgress > idleTimeout.toNanos()) {
                    abort(future, holder[0]);
                    throw new SimplestreamsException(Kind.TRANSFER, uri + ": no data for " + idleTimeout.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                abort(future, holder[0]);
                throw e;
            } catch (CancellationException e) {
                throw new SimplestreamsException(Kind.TRANSFER, uri + ": cancelled", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                for (Throwable t = cause; t != null; t = t.getCause()) {
                    if (t instanceof SimplestreamsException se) {
                        throw new SimplestreamsException(se.kind(), se.getMessage(), se);
                    }
                }
                throw new SimplestreamsException(Kind.TRANSFER, uri + ": " + cause, cause);
            }
        }
        int status = response.statusCode();
        if (status == 404 || status == 410) {
            throw new SimplestreamsException(Kind.NOT_FOUND, uri + ": HTTP " + status);
        }
        if (status != 200) {
            throw new SimplestreamsException(Kind.TRANSFER, uri + ": HTTP " + status + " (expected: 200)");
        }
    }

    private static void abort(CompletableFuture<?> future, SinkSubscriber subscriber) {
        if (subscriber != null) {
            subscriber.cancel();
        }
        future.cancel(true);
    }

    /** Writes each buffer into the sink before asking for the next. */
    private static final class SinkSubscriber implements HttpResponse.BodySubscriber<Void> {
        private final DownloadSink sink;
        private final SimplestreamsException refusal;
        private final CompletableFuture<Void> result = new CompletableFuture<>();
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;

        SinkSubscriber(DownloadSink sink, SimplestreamsException refusal) {
            this.sink = sink;
            this.refusal = refusal;
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public CompletionStage<Void> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (refusal != null) {
                s.cancel();
                result.completeExceptionally(refusal);
            } else if (cancelled) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            try {
                for (ByteBuffer b : buffers) {
                    sink.write(b);
                }
                if (cancelled) {
                    subscription.cancel();
                } else {
                    subscription.request(1);
                }
            } catch (IOException e) {
                subscription.cancel();
                result.completeExceptionally(e);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(null);
        }
    }
}
