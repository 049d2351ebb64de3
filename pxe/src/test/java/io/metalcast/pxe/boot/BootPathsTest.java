package io.metalcast.pxe.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BootPathsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "pxelinux.0|pxelinux.0",
            "/pxelinux.0|pxelinux.0",
            "///a//b/c|a/b/c",
            "pxelinux.cfg\\01-aa-bb-cc-dd-ee-ff|pxelinux.cfg/01-aa-bb-cc-dd-ee-ff",
            "grub/grub.cfg-aa:bb:cc:dd:ee:ff|grub/grub.cfg-aa:bb:cc:dd:ee:ff",
            "a/.../b|a/.../b",
            "dir/|dir",
            "..x/x..|..x/x..",
    })
    void accepts(String raw, String expected) {
        assertEquals(Optional.of(expected), BootPaths.normalise(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "//", "..", "../etc/passwd", "a/../../b", "a/./b", "./a", "..\\x", "a\\..\\..\\b",
            "a\u0000b", "a\nb", "a\u007fb", "%2e%2e/x", "a%2fb", "x/..", "\\\\"})
    void refuses(String raw) {
        assertEquals(Optional.empty(), BootPaths.normalise(raw));
    }

    @org.junit.jupiter.api.Test
    void refusesNullAndOverlongPaths() {
        assertEquals(Optional.empty(), BootPaths.normalise(null));
        assertEquals(Optional.empty(), BootPaths.normalise("a".repeat(1025)));
        assertEquals(Optional.of("a".repeat(1024)), BootPaths.normalise("a".repeat(1024)));
    }
}
