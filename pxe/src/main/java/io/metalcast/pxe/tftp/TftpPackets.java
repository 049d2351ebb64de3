package io.metalcast.pxe.tftp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Encodes the packets the server sends (DATA, OACK, ERROR) straight into ByteBufs owned by the caller. */
public final class TftpPackets {
    public static final int RRQ = 1;
    public static final int WRQ = 2;
    public static final int DATA = 3;
    public static final int ACK = 4;
    public static final int ERROR = 5;
    public static final int OACK = 6;
    static final int MAX_ERROR_MESSAGE = 200;

    private TftpPackets() {
    }

    /** A buffer holding a DATA header for {@code block} (taken modulo 65536), room left for {@code payload} bytes. */
    public static ByteBuf dataHeader(ByteBufAllocator alloc, long block, int payload) {
        ByteBuf out = alloc.ioBuffer(4 + payload);
        out.writeShort(DATA);
        out.writeShort((int) (block & 0xffff));
        return out;
    }

    public static ByteBuf oack(ByteBufAllocator alloc, Map<String, String> options) {
        ByteBuf out = alloc.ioBuffer(64);
        out.writeShort(OACK);
        for (Map.Entry<String, String> e : options.entrySet()) {
            out.writeCharSequence(e.getKey(), StandardCharsets.US_ASCII);
            out.writeByte(0);
            out.writeCharSequence(e.getValue(), StandardCharsets.US_ASCII);
            out.writeByte(0);
        }
        return out;
    }

    public static ByteBuf error(ByteBufAllocator alloc, TftpErrorCode code, String message) {
        String m = message.length() > MAX_ERROR_MESSAGE ? message.substring(0, MAX_ERROR_MESSAGE) : message;
        ByteBuf out = alloc.ioBuffer(5 + m.length());
        out.writeShort(ERROR);
        out.writeShort(code.code());
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            out.writeByte(c >= 0x20 && c < 0x7f ? c : '?');
        }
        out.writeByte(0);
        return out;
    }
}
