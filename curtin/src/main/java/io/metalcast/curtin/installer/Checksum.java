package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.curtin.installer.InstallException.Kind;
import java.security.MessageDigest;

/** The sha256 of a source's bytes as downloaded, fed in order by whichever stage sees them first; checked once at the end. */
final class Checksum {
    private final MessageDigest digest;

    Checksum() {
        digest = Sha256.digest();
    }

    void update(byte[] data, int offset, int length) {
        digest.update(data, offset, length);
    }

    /** The hex sha256 of everything fed; fails when {@code source} expects another. Call once. */
    String verify(Source source) throws InstallException {
        String sha256 = Sha256.hex(digest.digest());
        if (!source.sha256().isEmpty() && !source.sha256().equalsIgnoreCase(sha256)) {
            throw new InstallException(Kind.CHECKSUM_MISMATCH, "source " + source.uri() + " sha256 " + sha256 + " (expected: "
                    + source.sha256() + ")");
        }
        return sha256;
    }
}
