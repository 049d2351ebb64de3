package io.metalcast.curtin.installer;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A bounded hand-over between two pipeline stages: a fixed pool of equal, large buffers circulates from the consumer back
 * to the producer, so the stream allocates nothing per block. The producer ends the stream with {@link #end} or
 * {@link #fail}; the consumer takes chunks, or reads them as an {@link InputStream}.
 */
final class ChunkQueue {
    /** One filled buffer; give it back with {@link #release}. */
    record Chunk(byte[] data, int length) {
    }

    /** What a consumer gets when the producer failed: the producer's failure, as it was. */
    static final class UpstreamFailure extends IOException {
        private static final long serialVersionUID = 1L;
        private final InstallException failure;

        UpstreamFailure(InstallException failure) {
            super(failure.getMessage(), failure);
            this.failure = failure;
        }

        InstallException failure() {
            return failure;
        }
    }

    private sealed interface Item permits Full, End, Failed {
    }

    private record Full(Chunk chunk) implements Item {
    }

    private record End() implements Item {
    }

    private record Failed(InstallException error) implements Item {
    }

    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<Item> full;
    private boolean ended;

    ChunkQueue(int buffers, int bufferSize) {
        free = new ArrayBlockingQueue<>(buffers);
        full = new ArrayBlockingQueue<>(buffers + 1);
        for (int i = 0; i < buffers; i++) {
            free.add(new byte[bufferSize]);
        }
    }

    /** An empty buffer for the producer; waits until the consumer gives one back. */
    byte[] acquire() throws InterruptedException {
        return free.take();
    }

    void put(byte[] data, int length) throws InterruptedException {
        full.put(new Full(new Chunk(data, length)));
    }

    void end() throws InterruptedException {
        full.put(new End());
    }

    /** Ends the stream with a failure; never blocks (the queue keeps one slot beyond its buffers for this). */
    void fail(InstallException error) {
        full.offer(new Failed(error));
    }

    /** The next chunk, or null at the end. */
    Chunk take() throws InstallException, InterruptedException {
        if (ended) {
            return null;
        }
        Item item = full.take();
        if (item instanceof Failed f) {
            ended = true;
            throw f.error();
        }
        if (item instanceof End) {
            ended = true;
            return null;
        }
        return ((Full) item).chunk();
    }

    void release(Chunk chunk) {
        free.offer(chunk.data());
    }

    /** The chunks as a stream; each chunk goes back to the pool once read; {@code onChunk} runs after each is taken. */
    InputStream asInputStream(Runnable onChunk) {
        return new InputStream() {
            private final byte[] one = new byte[1];
            private Chunk current;
            private int pos;

            @Override
            public int read() throws IOException {
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (current == null || pos == current.length()) {
                    if (current != null) {
                        release(current);
                        current = null;
                    }
                    try {
                        current = take();
                    } catch (InstallException e) {
                        throw new UpstreamFailure(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted waiting for the download");
                    }
                    if (current == null) {
                        return -1;
                    }
                    pos = 0;
                    onChunk.run();
                }
                int n = Math.min(len, current.length() - pos);
                System.arraycopy(current.data(), pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                byte[] sink = new byte[(int) Math.min(n, 1 << 16)];
                long done = 0;
                while (done < n) {
                    int r = read(sink, 0, (int) Math.min(sink.length, n - done));
                    if (r < 0) {
                        break;
                    }
                    done += r;
                }
                return done;
            }
        };
    }
}
