package io.metalcast.pxe.tftp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One read transfer on its own UDP channel (its own TID). Lock-step: a block is sent, then the next only when its ACK
 * arrives. Only a timeout resends; a duplicate ACK is ignored (no Sorcerer's Apprentice). All state is touched on the
 * channel's event loop; file reads run on the blocking executor.
 */
final class TftpSession extends SimpleChannelInboundHandler<DatagramPacket> {
    /** How a transfer ended, for the {@code tftp.requests{result}} metric. */
    enum Outcome { OK, TIMEOUT, ABORTED, IO_ERROR }

    /** Bytes read per executor hop (rounded down to whole blocks, at least one block). */
    static final int CHUNK_BYTES = 32 * 1024;

    private final InetSocketAddress client;
    private final TftpSource source;
    private final TftpOptions options;
    private final long timeoutMillis;
    private final int maxRetries;
    private final Executor blocking;
    private final Consumer<Long> bytesSent;
    private final Consumer<Outcome> onEnd;

    private Channel channel;
    /** Sequence number (not wrapped) of the packet awaiting an ACK: 0 for the OACK, n for DATA block n. */
    private long seq;
    private int lastPayload;
    private ByteBuf lastPacket;
    /** Read-ahead: bytes of the file from {@code chunkStart}, a whole number of blocks, read in one executor hop. */
    private ByteBuf chunk;
    private long chunkStart;
    private final int chunkSize;
    private boolean reading;
    private int retries;
    private ScheduledFuture<?> timer;
    private boolean ended;

    TftpSession(InetSocketAddress client, TftpSource source, TftpOptions options, TftpConfig config, Executor blocking,
                Consumer<Long> bytesSent, Consumer<Outcome> onEnd) {
        this.client = client;
        this.source = source;
        this.options = options;
        this.timeoutMillis = options.timeoutSeconds() > 0 ? options.timeoutSeconds() * 1000L : config.timeout().toMillis();
        this.maxRetries = config.retries();
        this.blocking = blocking;
        this.bytesSent = bytesSent;
        this.onEnd = onEnd;
        this.chunkSize = Math.max(1, CHUNK_BYTES / options.blksize()) * options.blksize();
    }

    /** Sends the OACK or the first block. Call on the session channel's event loop once it is bound. */
    void start(Channel ch) {
        this.channel = ch;
        if (!options.oack().isEmpty()) {
            seq = 0;
            lastPayload = -1;
            send(TftpPackets.oack(ch.alloc(), options.oack()));
        } else {
            sendBlock(1);
        }
    }

    private void sendBlock(long block) {
        long position = (block - 1) * options.blksize();
        int length = (int) Math.max(0, Math.min(options.blksize(), source.size() - position));
        if (length == 0 || covers(position, length)) {
            sent(block, packet(block, position, length));
            return;
        }
        releaseChunk();
        int chunkLength = (int) Math.min(chunkSize, source.size() - position);
        ByteBuf next = channel.alloc().ioBuffer(chunkLength);
        if (!source.blocking()) {
            chunkRead(block, position, length, next, readInto(position, chunkLength, next));
            return;
        }
        reading = true;
        try {
            blocking.execute(() -> {
                IoResult r = readInto(position, chunkLength, next);
                channel.eventLoop().execute(() -> {
                    reading = false;
                    chunkRead(block, position, length, next, r);
                });
            });
        } catch (RejectedExecutionException e) {
            reading = false;
            next.release();
            fail(TftpErrorCode.NOT_DEFINED, "server busy", Outcome.IO_ERROR);
        }
    }

    /** On the event loop, after a chunk was read (or failed): keep it and send the block from it. */
    private void chunkRead(long block, long position, int length, ByteBuf next, IoResult r) {
        if (r.error != null || ended) {
            next.release();
            fail(TftpErrorCode.NOT_DEFINED, "read error", Outcome.IO_ERROR);
            return;
        }
        chunk = next;
        chunkStart = position;
        // A file that shrank while being sent ends with a short block.
        sent(block, packet(block, position, Math.min(length, chunk.readableBytes())));
    }

    private boolean covers(long position, int length) {
        return chunk != null && position >= chunkStart && position + length <= chunkStart + chunk.readableBytes();
    }

    private ByteBuf packet(long block, long position, int length) {
        ByteBuf packet = TftpPackets.dataHeader(channel.alloc(), block, length);
        if (length > 0) {
            packet.writeBytes(chunk, chunk.readerIndex() + (int) (position - chunkStart), length);
        }
        return packet;
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    private record IoResult(Exception error) {
    }

    private IoResult readInto(long position, int length, ByteBuf out) {
        try {
            source.read(position, length, out);
            return new IoResult(null);
        } catch (Exception e) {
            return new IoResult(e);
        }
    }

    private void sent(long block, ByteBuf packet) {
        seq = block;
        lastPayload = packet.readableBytes() - 4;
        bytesSent.accept((long) lastPayload);
        send(packet);
    }

    /** Keeps {@code packet} for resending and sends a duplicate of it. */
    private void send(ByteBuf packet) {
        if (lastPacket != null) {
            lastPacket.release();
        }
        lastPacket = packet;
        retries = 0;
        transmit();
    }

    private void transmit() {
        channel.writeAndFlush(new DatagramPacket(lastPacket.retainedDuplicate(), client));
        armTimer();
    }

    private void armTimer() {
        cancelTimer();
        timer = channel.eventLoop().schedule(this::onTimeout, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTimeout() {
        timer = null;
        if (ended || reading) {
            return;
        }
        if (retries >= maxRetries) {
            fail(TftpErrorCode.NOT_DEFINED, "timeout", Outcome.TIMEOUT);
            return;
        }
        retries++;
        transmit();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
        if (ended) {
            return;
        }
        ByteBuf in = msg.content();
        InetSocketAddress sender = msg.sender();
        if (!client.equals(sender)) {
            // RFC 1350 section 4: a packet from an unknown TID gets ERROR 5; our transfer goes on.
            ctx.writeAndFlush(new DatagramPacket(
                    TftpPackets.error(ctx.alloc(), TftpErrorCode.UNKNOWN_TRANSFER_ID, "unknown transfer id"), sender));
            return;
        }
        if (in.readableBytes() < 2) {
            return;
        }
        int op = in.getUnsignedShort(in.readerIndex());
        if (op == TftpPackets.ERROR) {
            end(Outcome.ABORTED);
            return;
        }
        if (op != TftpPackets.ACK || in.readableBytes() < 4 || reading || lastPacket == null) {
            return;
        }
        int block = in.getUnsignedShort(in.readerIndex() + 2);
        if (block != (int) (seq & 0xffff)) {
            return; // duplicate or stale ACK: ignored, never answered with a resend
        }
        cancelTimer();
        if (seq > 0 && lastPayload < options.blksize()) {
            end(Outcome.OK);
            return;
        }
        sendBlock(seq + 1);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end(Outcome.ABORTED);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // ICMP port unreachable and the like: keep going until the timeout decides.
    }

    private void fail(TftpErrorCode code, String message, Outcome outcome) {
        if (ended) {
            return;
        }
        channel.writeAndFlush(new DatagramPacket(TftpPackets.error(channel.alloc(), code, message), client));
        end(outcome);
    }

    /** Idempotent. Releases the kept packet, closes the source and the channel, reports the outcome once. */
    void end(Outcome outcome) {
        if (ended) {
            return;
        }
        ended = true;
        cancelTimer();
        if (lastPacket != null) {
            lastPacket.release();
            lastPacket = null;
        }
        releaseChunk();
        source.close();
        if (channel != null) {
            channel.close();
        }
        onEnd.accept(outcome);
    }
}
