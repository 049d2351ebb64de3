package io.metalcast.curtin.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SHA-256 by the JDK and by the NSS softoken (Debian's libnss3, through the JDK's SunPKCS11) must agree byte for byte. */
class Sha256Test {
    @TempDir
    Path dir;

    @AfterEach
    void backToJdk() {
        Sha256.useJdk();
    }

    @Test
    void nssHashesLikeTheJdkInAnySplit() {
        byte[] data = new byte[9 << 20];
        new Random(11).nextBytes(data);
        String jdk = Sha256.hex(Sha256.digest().digest(data));
        assertTrue(Sha256.provider().startsWith("the JDK"), Sha256.provider());
        // A directory without NSS (before any NSS is loaded in this JVM, or, when another test loaded one, a second
        // directory) fails and leaves the JDK's provider in place.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Sha256.useNss(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertEquals("SUN", Sha256.digest().getProvider().getName());

        Sha256.useNss(null);
        assertTrue(Sha256.provider().startsWith("NSS's softoken in /"), Sha256.provider());
        MessageDigest whole = Sha256.digest();
        assertEquals("SunPKCS11-nss", whole.getProvider().getName());
        assertEquals(jdk, Sha256.hex(whole.digest(data)));
        // Odd splits (below and above the provider's internal buffering), then reuse of the same digest after digest().
        MessageDigest pieces = Sha256.digest();
        Random r = new Random(3);
        for (int round = 0; round < 2; round++) {
            int at = 0;
            while (at < data.length) {
                int n = Math.min(data.length - at, r.nextBoolean() ? r.nextInt(100) : r.nextInt(5 << 20));
                pieces.update(data, at, n);
                at += n;
            }
            assertEquals(jdk, Sha256.hex(pieces.digest()), "round " + round);
        }
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.hex(Sha256.digest().digest()));
    }

    @Test
    void hashesFilesAndBytes() throws Exception {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.ofFile(empty));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.of("abc".getBytes(StandardCharsets.US_ASCII)));
        byte[] data = new byte[(3 << 20) + 5]; // more than one read buffer, with a ragged tail
        new Random(9).nextBytes(data);
        Path f = Files.write(dir.resolve("f"), data);
        assertEquals(Sha256.of(data), Sha256.ofFile(f));
    }

    @Test
    void blockMapsScannedWithNssEqualThoseOfTheJdk() throws Exception {
        // BlockMapBuilder clones its running digest at every range end: the PKCS#11 digest must clone too.
        Path image = dir.resolve("disk.raw");
        byte[] all = new byte[1 << 20];
        Random r = new Random(5);
        for (int block : new int[] {0, 1, 7, 100, 255}) {
            for (int i = block * 4096; i < block * 4096 + 4096; i++) {
                all[i] = (byte) (r.nextInt(255) + 1);
            }
        }
        Files.write(image, all);
        BlockMap jdk = BlockMap.scan(image, 4096);
        Sha256.useNss(null);
        assertEquals(jdk, BlockMap.scan(image, 4096));
        assertEquals(4, jdk.ranges().size());
        assertEquals("SunPKCS11-nss", Sha256.digest().getProvider().getName(), "the second load reused the first");
    }
}
