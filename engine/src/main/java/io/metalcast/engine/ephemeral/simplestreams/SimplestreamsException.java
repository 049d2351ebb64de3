package io.metalcast.engine.ephemeral.simplestreams;

import java.io.IOException;
import java.util.Objects;

/** A mirror, a stream file or a download that cannot be used, by {@link Kind}. */
public final class SimplestreamsException extends IOException {
    /** What went wrong; callers branch on this, never on the message. */
    public enum Kind {
        /** The mirror location itself is not usable (scheme, query, not a directory). */
        BAD_LOCATION,
        /** The file does not exist on the mirror (HTTP 404, missing local file). */
        NOT_FOUND,
        /** Only signed ({@code .sjson}) stream files exist, and signature verification is not implemented yet. */
        SIGNED_ONLY,
        /** A stream file is not the simplestreams JSON we expect. */
        MALFORMED,
        /** The mirror answered with an error other than 404, or the transfer failed or stalled. */
        TRANSFER,
        /** More bytes than the declared {@code size} arrived. */
        SIZE_EXCEEDED,
        /** Fewer bytes than the declared {@code size} arrived. */
        TRUNCATED,
        /** The sha256 of the downloaded bytes differs from the declared one. */
        SHA256_MISMATCH,
        /** Too little free space under {@code data_dir/tmp} for the declared size. */
        NO_SPACE
    }

    private final Kind kind;

    public SimplestreamsException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public SimplestreamsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
