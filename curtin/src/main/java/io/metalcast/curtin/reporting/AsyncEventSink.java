package io.metalcast.curtin.reporting;

import io.metalcast.curtin.event.InstallEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Delivers events to its sinks in order on one background thread, so a slow or unreachable webhook never stalls the
 * disk write. {@link #close(Duration)} waits for what is queued, up to a limit.
 */
public final class AsyncEventSink implements EventSink {
    private final List<EventSink> sinks;
    private final ExecutorService executor;
    private final Consumer<String> log;

    public AsyncEventSink(List<EventSink> sinks, Consumer<String> log) {
        this.sinks = List.copyOf(sinks);
        this.log = log;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metalcast-reporting");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void report(InstallEvent event) {
        executor.execute(() -> {
            for (EventSink sink : sinks) {
                try {
                    sink.report(event);
                } catch (RuntimeException e) {
                    log.accept("reporting " + event.name() + ": " + e);
                }
            }
        });
    }

    /** Waits up to {@code limit} for queued events to go out; returns false when some were still pending. */
    public boolean close(Duration limit) {
        executor.shutdown();
        try {
            if (executor.awaitTermination(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int dropped = executor.shutdownNow().size();
        log.accept("reporting: gave up waiting after " + limit.toSeconds() + " s, " + dropped + " event(s) not sent");
        return false;
    }
}
