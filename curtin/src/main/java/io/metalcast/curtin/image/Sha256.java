package io.metalcast.curtin.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * SHA-256, the one checksum of images, their ranges and their block maps: fresh digests and their hex.
 *
 * <p>Digests come from the JDK's own provider unless the process entry point routed them to NSS's softoken with
 * {@link #useNss(Path)}. That is for runtimes whose JIT cannot make Java's SHA-256 fast: under QEMU's TCG the installer
 * runs C1 only, where the JDK hashes a few times slower than NSS's C code reached through the JDK's PKCS#11 provider
 * ({@code jdk.crypto.cryptoki}). With C2 and SHA-NI or AVX2 intrinsics the JDK's is as fast, so that stays the default.
 */
public final class Sha256 {
    private static volatile Provider provider;
    /** NSS loads once per process: the provider made from it and its directory, kept for later calls. */
    private static Provider nss;
    private static Path nssDir;

    private Sha256() {
    }

    /** A fresh SHA-256 digest from the provider chosen for this process. */
    public static MessageDigest digest() {
        Provider p = provider;
        try {
            return p == null ? MessageDigest.getInstance("SHA-256") : MessageDigest.getInstance("SHA-256", p);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from " + (p == null ? "this runtime" : p.getName()), e);
        }
    }

    /** The lowercase hex sha256 of {@code data}. */
    public static String of(byte[] data) {
        return hex(digest().digest(data));
    }

    /** The lowercase hex sha256 of a whole file. */
    public static String ofFile(Path file) throws IOException {
        MessageDigest d = digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                d.update(buf.flip());
                buf.clear();
            }
        }
        return hex(d.digest());
    }

    /** The lowercase hex of a digest's result. */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Who hashes: the provider's name and, for NSS, its library directory. */
    public static String provider() {
        Provider p = provider;
        return p == null ? "the JDK" : "NSS's softoken in " + nssDir + " (" + p.getName() + ")";
    }

    /**
     * Routes every later {@link #digest()} of this process to NSS's softoken in {@code dir} (or, when null, the first of
     * the usual library directories holding {@code libsoftokn3.so} and {@code libnss3.so}), without a key database. A
     * digest of a known input is checked before the switch, so a broken NSS leaves the JDK's provider in place. NSS
     * is loaded once per process; later calls with the same directory reuse it.
     *
     * @throws IllegalStateException when the runtime lacks the PKCS#11 provider or NSS cannot be found or loaded
     */
    public static synchronized void useNss(Path dir) {
        Path lib = dir != null ? dir : nssLibraryDirectory();
        if (lib == null) {
            throw new IllegalStateException("no libsoftokn3.so and libnss3.so in " + String.join(", ", candidates()));
        }
        if (nss != null) {
            if (!nssDir.equals(lib)) {
                throw new IllegalStateException("NSS is already loaded from " + nssDir + ", not " + lib);
            }
            provider = nss;
            return;
        }
        // Security.getProvider("SunPKCS11") would first instantiate every provider listed before it (TLS, EC, RSA, ...),
        // which costs a C1-only runtime under TCG a large part of a second; the service loader picks it by its module.
        Provider base = ServiceLoader.load(Provider.class).stream()
                .filter(s -> "jdk.crypto.cryptoki".equals(s.type().getModule().getName()))
                .map(ServiceLoader.Provider::get).findFirst()
                .orElseThrow(() -> new IllegalStateException("this runtime has no SunPKCS11 provider (module jdk.crypto.cryptoki)"));
        Provider made;
        try {
            made = base.configure("--name=nss\nnssLibraryDirectory=" + lib + "\nnssDbMode=noDb\n");
            byte[] got = MessageDigest.getInstance("SHA-256", made).digest("abc".getBytes(StandardCharsets.US_ASCII));
            if (!hex(got).equals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")) {
                throw new IllegalStateException("NSS in " + lib + " gave a wrong SHA-256 of 'abc': " + hex(got));
            }
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            throw new IllegalStateException("NSS in " + lib + ": " + e.getMessage(), e);
        }
        nss = made;
        nssDir = lib;
        provider = made;
    }

    /** Back to the JDK's provider (tests). */
    static synchronized void useJdk() {
        provider = null;
    }

    private static Path nssLibraryDirectory() {
        for (String c : candidates()) {
            Path d = Path.of(c);
            if (Files.isRegularFile(d.resolve("libsoftokn3.so")) && Files.isRegularFile(d.resolve("libnss3.so"))) {
                return d;
            }
        }
        return null;
    }

    private static List<String> candidates() {
        String triplet = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            case "ppc64le" -> "powerpc64le-linux-gnu";
            case "s390x" -> "s390x-linux-gnu";
            case "riscv64" -> "riscv64-linux-gnu";
            default -> null;
        };
        return triplet == null ? List.of("/usr/lib64", "/usr/lib") : List.of("/usr/lib/" + triplet, "/usr/lib64", "/usr/lib");
    }
}
