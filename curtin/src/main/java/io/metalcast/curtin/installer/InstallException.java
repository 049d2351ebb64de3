package io.metalcast.curtin.installer;

import java.util.Objects;

/** Why an install failed, by kind; the message says what went wrong in words for the operator. */
public final class InstallException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The kinds of failure callers and tests tell apart. */
    public enum Kind {
        /** The curtin config could not be fetched or read, or asks for something this installer does not do. */
        CONFIG,
        /** No usable target disk, or the target cannot be opened. */
        TARGET,
        /** The target is smaller than the image. */
        TARGET_TOO_SMALL,
        /** The image could not be downloaded completely. */
        DOWNLOAD,
        /** The image's length differs from the expected size. */
        SIZE_MISMATCH,
        /** The image's sha256 differs from the expected one. */
        CHECKSUM_MISMATCH,
        /** The downloaded bytes do not decode as the source type says (not compressed, corrupt or truncated stream, bad tar). */
        DECODE,
        /** Writing to the target failed. */
        WRITE,
        /** The installed system could not be configured (no root partition, mount or write failure). */
        CURTHOOKS,
        /** The image's own {@code /curtin/curtin-hooks} exited non-zero or did not finish. */
        HOOK
    }

    private final Kind kind;

    public InstallException(Kind kind, String message) {
        this(kind, message, null);
    }

    public InstallException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
