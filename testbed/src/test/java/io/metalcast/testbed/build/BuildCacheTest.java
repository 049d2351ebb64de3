package io.metalcast.testbed.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BuildCacheTest {
    @TempDir
    Path cache;

    @Test
    void buildsOnceThenReturnsTheCachedDirectory() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        BuildCache.Build build = dir -> {
            builds.incrementAndGet();
            Files.writeString(dir.resolve("out"), "x", StandardCharsets.UTF_8);
        };
        Path first = BuildCache.buildOnce(cache, "thing", "k1", build);
        Path second = BuildCache.buildOnce(cache, "thing", "k1", build);
        assertEquals(first, second);
        assertEquals(cache.resolve("thing-k1"), first);
        assertEquals(1, builds.get());
        assertTrue(Files.exists(first.resolve(BuildCache.DONE)));
        assertFalse(Files.exists(cache.resolve(".thing-k1.tmp")));
    }

    @Test
    void aFailedBuildLeavesNothingCompleteAndTheNextCallRebuilds() throws Exception {
        assertThrows(IOException.class, () -> BuildCache.buildOnce(cache, "thing", "k2", dir -> {
            Files.writeString(dir.resolve("half"), "x", StandardCharsets.UTF_8);
            throw new IOException("crash in the middle");
        }));
        assertFalse(Files.exists(cache.resolve("thing-k2")));
        Path dir = BuildCache.buildOnce(cache, "thing", "k2", d -> Files.writeString(d.resolve("out"), "y"));
        assertTrue(Files.exists(dir.resolve("out")));
        assertFalse(Files.exists(dir.resolve("half")), "leftovers of the crashed build must not survive");
    }

    @Test
    void anIncompleteFinalDirectoryWithoutStampIsReplaced() throws Exception {
        Files.createDirectories(cache.resolve("thing-k3"));
        Files.writeString(cache.resolve("thing-k3/stale"), "old");
        Path dir = BuildCache.buildOnce(cache, "thing", "k3", d -> Files.writeString(d.resolve("out"), "new"));
        assertFalse(Files.exists(dir.resolve("stale")));
        assertEquals("new", Files.readString(dir.resolve("out")));
    }

    @Test
    void differentKeysGiveDifferentHashes() throws Exception {
        String a = new BuildCache.Hasher().text("a", "bc").hex();
        String b = new BuildCache.Hasher().text("ab", "c").hex();
        assertFalse(a.equals(b), "labels and values must not run into each other");
        assertEquals(16, new BuildCache.Hasher().text("a", "b").shortHex().length());
    }

    @ParameterizedTest
    @CsvSource({
        "0, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, ubuntu/jammy, size: 0",
        "513, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, ubuntu/jammy, size: 513",
        "512, AAAA, ubuntu/jammy, sha256: 'AAAA'",
        "512, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, ' ', release: blank",
    })
    void sampleImageValidates(long size, String sha, String release, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SampleImage(Path.of("/x.raw"), size, sha, release));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"'', kernelVersion: ''", "'../x', kernelVersion: '../x'"})
    void ephemeralValidates(String version, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Ephemeral(Path.of("/k"), Path.of("/i"), Path.of("/s"), version));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }
}
