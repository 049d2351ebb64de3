package io.metalcast.pxe.tftp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TftpCodecTest {
    private static final InetSocketAddress FROM = new InetSocketAddress("127.0.0.1", 4000);

    /** Builds a request: opcode then the given strings, each NUL-terminated. */
    static byte[] request(int opcode, String... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(opcode >> 8);
        out.write(opcode);
        for (String f : fields) {
            out.writeBytes(f.getBytes(StandardCharsets.ISO_8859_1));
            out.write(0);
        }
        return out.toByteArray();
    }

    @Test
    void decodesReadRequestWithOptions() throws Exception {
        TftpRequest r = TftpRequestDecoder.decode(request(1, "pxelinux.0", "OCTET", "BLKSIZE", "1428", "tsize", "0",
                "blksize", "8"), FROM);
        assertFalse(r.write());
        assertEquals("pxelinux.0", r.filename());
        assertEquals("octet", r.mode());
        assertEquals(Map.of("blksize", "1428", "tsize", "0"), r.options()); // first blksize wins
    }

    @Test
    void decodesWriteRequestAndNetascii() throws Exception {
        TftpRequest r = TftpRequestDecoder.decode(request(2, "x", "netascii"), FROM);
        assertTrue(r.write());
        assertEquals("netascii", r.mode());
        assertTrue(r.options().isEmpty());
    }

    @Test
    void ignoresTruncatedOptionAndCapsOptionCount() throws Exception {
        byte[] truncated = request(1, "f", "octet", "blksize");
        assertTrue(TftpRequestDecoder.decode(truncated, FROM).options().isEmpty());
        String[] fields = new String[2 + 2 * 30];
        fields[0] = "f";
        fields[1] = "octet";
        for (int i = 0; i < 30; i++) {
            fields[2 + 2 * i] = "o" + i;
            fields[3 + 2 * i] = "1";
        }
        assertEquals(TftpRequestDecoder.MAX_OPTIONS, TftpRequestDecoder.decode(request(1, fields), FROM).options().size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "empty name, 0001006F6374657400",
            "no NUL, 0001616263",
            "no mode, 000166696C6500",
            "empty mode, 000166696C650000",
            "unknown mode, 000166696C65006D61696C00",
            "opcode only, 0001",
            "not a request, 000400",
    })
    void refusesMalformed(String name, String hex) {
        byte[] bytes = java.util.HexFormat.of().parseHex(hex);
        assertThrows(TftpMalformedException.class, () -> TftpRequestDecoder.decode(bytes, FROM));
    }

    @Test
    void refusesRequestsOver512Bytes() {
        byte[] big = request(1, "a".repeat(600), "octet");
        assertThrows(TftpMalformedException.class, () -> TftpRequestDecoder.decode(big, FROM));
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource({
            "blksize, 1428, 1428",
            "blksize, 8, 8",
            "blksize, 7, ",
            "blksize, 0, ",
            "blksize, 65464, 65464",
            "blksize, 70000, 65464",
            "blksize, 18446744073709551616, 65464",
            "blksize, abc, ",
            "blksize, '', ",
            "blksize, -5, ",
            "timeout, 1, 1",
            "timeout, 255, 255",
            "timeout, 0, ",
            "timeout, 256, ",
            "timeout, x, ",
            "tsize, 0, 4321",
            "tsize, 99, 4321",
            "tsize, nan, ",
            "windowsize, 4, ",
    })
    void negotiatesOneOption(String name, String value, String expected) {
        TftpOptions o = TftpOptions.negotiate(Map.of(name, value), 4321, TftpConfig.MAX_BLKSIZE);
        if (expected == null) {
            assertTrue(o.oack().isEmpty(), o.oack().toString());
            assertEquals(512, o.blksize());
        } else {
            assertEquals(Map.of(name, expected), o.oack());
        }
    }

    @Test
    void negotiationKeepsRequestOrderAndClampsToConfiguredMaximum() {
        Map<String, String> asked = new LinkedHashMap<>();
        asked.put("tsize", "0");
        asked.put("blksize", "9000");
        asked.put("timeout", "3");
        TftpOptions o = TftpOptions.negotiate(asked, 10, 1468);
        assertEquals(1468, o.blksize());
        assertEquals(3, o.timeoutSeconds());
        assertEquals(java.util.List.of("tsize", "blksize", "timeout"), java.util.List.copyOf(o.oack().keySet()));
    }

    @Test
    void encodesPackets() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        ByteBuf data = TftpPackets.dataHeader(alloc, 65537, 0);
        ByteBuf oack = TftpPackets.oack(alloc, Map.of("tsize", "12"));
        ByteBuf err = TftpPackets.error(alloc, TftpErrorCode.ACCESS_VIOLATION, "x\u0001" + "y".repeat(300));
        try {
            assertEquals("00030001", io.netty.buffer.ByteBufUtil.hexDump(data)); // block 65537 wraps to 1
            assertEquals("0006" + "7473697a6500" + "313200", io.netty.buffer.ByteBufUtil.hexDump(oack));
            assertEquals(5, err.getShort(0));
            assertEquals(2, err.getShort(2));
            assertEquals('?', err.getByte(5));
            assertEquals(4 + TftpPackets.MAX_ERROR_MESSAGE + 1, err.readableBytes());
            assertEquals(0, err.getByte(err.readableBytes() - 1));
        } finally {
            data.release();
            oack.release();
            err.release();
        }
    }

    @Test
    void configValidates() {
        assertThrows(IllegalArgumentException.class, () -> TftpConfig.defaults().withRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> TftpConfig.defaults().withTimeout(java.time.Duration.ZERO));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TftpConfig(java.time.Duration.ofSeconds(1), 5, 10, 70000, 1));
        assertEquals("maxBlksize: 70000 (expected: 8..65464)", e.getMessage());
    }
}
