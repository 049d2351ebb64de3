package io.metalcast.pxe.boot;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/** A 48-bit Ethernet hardware address. Immutable; printed as {@code aa:bb:cc:dd:ee:ff}. */
public final class MacAddress {
    private final byte[] bytes;

    private MacAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    public static MacAddress of(byte[] bytes) {
        if (bytes == null || bytes.length != 6) {
            throw new IllegalArgumentException("mac: " + (bytes == null ? "null" : bytes.length + " bytes") + " (expected: 6 bytes)");
        }
        return new MacAddress(bytes.clone());
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}, {@code aa-bb-cc-dd-ee-ff} or {@code aabbccddeeff}, any case. */
    public static MacAddress parse(String text) {
        String hex = text == null ? "" : text.replace(":", "").replace("-", "");
        if (hex.length() != 12 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("mac: '" + text + "' (expected: aa:bb:cc:dd:ee:ff)");
        }
        return new MacAddress(HexFormat.of().parseHex(hex));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@code aa:bb:cc:dd:ee:ff} */
    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes).toLowerCase(Locale.ROOT);
    }

    /** {@code aa-bb-cc-dd-ee-ff}, as PXELINUX and iPXE's {@code hexhyp} print it. */
    public String hyphenated() {
        return HexFormat.ofDelimiter("-").formatHex(bytes).toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
